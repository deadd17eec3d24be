import { loginUser, otpWithoutPin, otpWithPin, removeEnrollments } from "@pims/protocol";
import { createPims, memoryStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, initializedPims, loggedInPims } from "../support/facade.js";
import { closedPortUrl } from "../support/rawServers.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf } from "../support/steps.js";
import { storedDeviceId } from "../support/stores.js";
import { TestClock } from "../support/TestClock.js";

const clock = new TestClock();
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ clock, env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url);
});
afterAll(() => server.close());

async function enrolled(store = memoryStore()) {
  const { pims, login, password } = await loggedInPims(server.url, store);
  const { pin } = await enrollWithShortcut(server.url, pims, "36925814");
  const token = await accessToken(pims);
  return { pims, pin, token, login, password, store };
}

describe("S15 withPIN and S16 withoutPIN", () => {
  it("S15 answers an 8-digit OTP that verifies once, proving possession and knowledge", async () => {
    const { pims, pin, token, login } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    expect(otp).toMatch(/^\d{8}$/);
    const first = await verifyOtp(server.url, rp.key, { otp, accessToken: token });
    expect(first.body.result).toMatchObject({
      valid: true,
      account: { username: login },
      factors: ["possession", "knowledge"],
    });
    expect(first.body.result?.device).toMatch(/^dev_/);
    expect(first.body.result?.issuedAt).toBe(clock.now());
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("S16 answers an OTP proving possession only", async () => {
    const { pims, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    const result = (await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result;
    expect(result).toMatchObject({ valid: true, factors: ["possession"] });
  });

  it("a wrong PIN is 2308 and counts toward the lockout; after 5, 2310, for S16 too", async () => {
    const { pims, pin } = await enrolled();
    for (let i = 0; i < 5; i++) {
      expectFailure(
        await pims.get(otpWithPin.api, { action: "withPIN", pinCode: `1111222${i}` }),
        2308,
        "inwebo: access refused",
      );
    }
    expectFailure(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin }), 2310);
    expectFailure(await pims.get(otpWithoutPin.api, { action: "withoutPIN" }), 2310);
  });

  it("a device that is not enrolled: 2313", async () => {
    const { pims } = await loggedInPims(server.url);
    expectFailure(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: "1234" }), 2313);
    expectFailure(await pims.get(otpWithoutPin.api, { action: "withoutPIN" }), 2313);
  });

  it("a device removed (S12 from another device) or disabled by an administrator: 2312", async () => {
    const a = await enrolled();
    const other = await initializedPims(server.url);
    expectSuccess(await other.set(loginUser.api, { action: "login", login: a.login, password: a.password }));
    const phone = (await server.server.services.trustedPhones.of(await accountIdOf(server.server, a.pims))) as string;
    const { enrollAnotherDevice } = await import("../support/enroll.js");
    await enrollAnotherDevice(server.url, other, { e164: phone }, a.pin);
    expectSuccess(await other.set(removeEnrollments.api, { action: "remove" }));
    expectFailure(await a.pims.get(otpWithPin.api, { action: "withPIN", pinCode: a.pin }), 2312);

    const b = await enrolled();
    const disabled = await fetch(`${server.url}/v1/admin/devices/${await storedDeviceId(b.store)}/disable`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(disabled.status).toBe(200);
    expectFailure(
      await b.pims.get(otpWithoutPin.api, { action: "withoutPIN" }),
      2312,
      "inwebo: device is disabled or unknown",
    );
  });

  it("no connection: 2202", async () => {
    const { store } = await enrolled();
    const offline = createPims();
    expectSuccess(await offline.initialize({ serverUrl: await closedPortUrl(), store }));
    expectFailure(await offline.get(otpWithPin.api, { action: "withPIN", pinCode: "36925814" }), 2202);
  });

  it("2101 and 2102 for the PIN, 2301 without a session, 2001 before initialize", async () => {
    const { pims } = await enrolled();
    expectFailure(await pims.get(otpWithPin.api, { action: "withPIN" }), 2101, "Missing pinCode parameter");
    expectFailure(
      await pims.get(otpWithPin.api, { action: "withPIN", pinCode: "12ab" }),
      2102,
      "Invalid pinCode parameter",
    );
    expectFailure(
      await pims.get(otpWithPin.api, { action: "withPin", pinCode: "1234" }),
      2102,
      "Invalid action parameter",
    );
    expectFailure(await (await initializedPims(server.url)).get(otpWithoutPin.api, { action: "withoutPIN" }), 2301);
    expectFailure(await createPims().get(otpWithoutPin.api, { action: "withoutPIN" }), 2001);
  });
});

describe("relying-party verification", () => {
  it("an expired OTP (over 120 s) is not valid", async () => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    clock.advance(120_001);
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("an OTP asked for one context does not verify for another, nor without one", async () => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(
      await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "transfer:bob:100" }),
    ) as {
      otp: string;
    };
    expect(
      (await verifyOtp(server.url, rp.key, { otp, accessToken: token, context: "transfer:eve:9999" })).body.result,
    ).toEqual({
      valid: false,
    });
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    const right = await verifyOtp(server.url, rp.key, { otp, accessToken: token, context: "transfer:bob:100" });
    expect(right.body.result?.valid).toBe(true);
  });

  it("an OTP of one account does not verify for another", async () => {
    const alice = await enrolled();
    const mallory = await enrolled();
    const { otp } = expectSuccess(await alice.pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: mallory.token })).body.result).toEqual({
      valid: false,
    });
    expect(
      (await verifyOtp(server.url, rp.key, { otp, account: await accountIdOf(server.server, alice.pims) })).body.result
        ?.valid,
    ).toBe(true);
  });

  it("100 concurrent verifications of one OTP: exactly one success", async () => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, () => verifyOtp(server.url, rp.key, { otp, accessToken: token })),
    );
    expect(results.filter((r) => r.body.result?.valid === true)).toHaveLength(1);
    expect(results.filter((r) => r.body.result?.valid === false)).toHaveLength(99);
  });

  it("valid OTPs of one account verified at once all pass: only wrong guesses count toward the limit", async () => {
    // A failure limit of 1: any two valid verifications in flight would collide if in-flight ones counted.
    const strict = await startTestServer({
      clock,
      env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_OTP_MAX_FAILED_VERIFICATIONS: "1" },
    });
    try {
      const strictRp = await createRelyingParty(strict.url);
      const { pims } = await loggedInPims(strict.url);
      await enrollWithShortcut(strict.url, pims, "36925814");
      const token = await accessToken(pims);
      const issued: string[] = [];
      for (let i = 0; i < 30; i++)
        issued.push(
          (expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string }).otp,
        );
      const results = await Promise.all(
        issued.map((otp) => verifyOtp(strict.url, strictRp.key, { otp, accessToken: token })),
      );
      expect(results.filter((r) => r.body.result?.valid === true)).toHaveLength(30);
      // And the limit still holds for wrong ones: one wrong guess voids the live OTP, even its right value.
      const { otp } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
      expect(
        (await verifyOtp(strict.url, strictRp.key, { otp: "00000000", accessToken: token })).body.result?.valid,
      ).toBe(false);
      expect((await verifyOtp(strict.url, strictRp.key, { otp, accessToken: token })).body.result?.valid).toBe(false);
    } finally {
      await strict.close();
    }
  });

  it("refuses an unknown or revoked API key (2301), and bad input (2101/2102)", async () => {
    const { pims, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    expect((await verifyOtp(server.url, "prk_not-a-key", { otp, accessToken: token })).body.error?.code).toBe(2301);
    const doomed = await createRelyingParty(server.url, "doomed");
    const revoke = await fetch(`${server.url}/v1/admin/relying-parties/${doomed.id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(revoke.status).toBe(200);
    expect((await verifyOtp(server.url, doomed.key, { otp, accessToken: token })).status).toBe(401);
    expect((await verifyOtp(server.url, rp.key, { accessToken: token })).body.error).toEqual({
      code: 2101,
      label: "Missing otp parameter",
    });
    expect((await verifyOtp(server.url, rp.key, { otp: "12ab", accessToken: token })).body.error?.code).toBe(2102);
    expect((await verifyOtp(server.url, rp.key, { otp })).body.error?.code).toBe(2101);
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token, account: "acc_x" })).body.error?.code).toBe(
      2102,
    );
    // None of this consumed the OTP.
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result?.valid).toBe(true);
  });

  it("a live OTP faces at most 10 wrong guesses, then the account's live OTPs are void; a fresh one verifies", async () => {
    const { pims, token } = await enrolled();
    const { otp: first } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as {
      otp: string;
    };
    const { otp: second } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as {
      otp: string;
    };
    for (let i = 0; i < 10; i++) {
      expect((await verifyOtp(server.url, rp.key, { otp: `0000000${i}`, accessToken: token })).body.result?.valid).toBe(
        false,
      );
    }
    // Both faced the ten guesses: both are void, even the right values.
    for (const otp of [first, second]) {
      expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result?.valid).toBe(false);
    }
    // Nothing after is refused: the next OTP verifies at once, no window to wait out.
    const { otp: fresh } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as {
      otp: string;
    };
    expect((await verifyOtp(server.url, rp.key, { otp: fresh, accessToken: token })).body.result?.valid).toBe(true);
  });

  it("audits every verification and issue, with the relying party and factors, never the OTP", async () => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    await verifyOtp(server.url, rp.key, { otp, accessToken: token });
    await verifyOtp(server.url, rp.key, { otp, accessToken: token });
    const events = await server.server.services.db
      .selectFrom("audit_events")
      .selectAll()
      .where("account_id", "=", await accountIdOf(server.server, pims))
      .where("event", "in", ["otp.issue", "otp.verify"])
      .execute();
    expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual([
      "otp.issue:success",
      "otp.verify:success",
      "otp.verify:failure",
    ]);
    expect(JSON.parse(events[1]?.detail ?? "{}")).toEqual({ relyingParty: rp.id, factors: "possession+knowledge" });
    expect(JSON.stringify(events)).not.toContain(otp);
    expect(server.logs.join("")).not.toContain(otp);
    const stored = await server.server.services.db.selectFrom("otps").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(otp);
  });
});
