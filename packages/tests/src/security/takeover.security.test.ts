import {
  INTERNAL_PATHS,
  loginUser,
  modifyPhoneNumber,
  otpWithPin,
  removeEnrollments,
  requestPhoneCertificationCode,
  requestResetPinCode,
  resetPin,
  trustedPhoneNumber,
  updatePin,
} from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { loadConfig } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { inbox, newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { certificationCode, resetPinCode } from "../support/steps.js";
import { storedDeviceId, storedSession } from "../support/stores.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Account takeover from a partial compromise (issue "Security I"). Each test opens with the attack,
 * as an attacker would run it against a server started as the README says.
 */

const clock = new TestClock();
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ clock, env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url, "takeover-rp");
});
afterAll(() => server.close());

/** The victim: a logged-in account whose device (this facade's store) is enrolled with `pin`. */
async function victim(store: PimsStore = memoryStore()) {
  const { pims } = await loggedInPims(server.url, store);
  const { phone, pin } = await enrollWithShortcut(server.url, pims, "70531864");
  return { pims, phone, pin, store };
}

const modify = (pims: Pims, smsCode: string, phone: { national: string }, pinCode?: string) =>
  pims.set(modifyPhoneNumber.api, {
    type: "modifyPhoneNumber",
    smsCode,
    phoneNumber: phone.national,
    ...(pinCode === undefined ? {} : { pinCode }),
  });

async function failuresOf(store: PimsStore): Promise<number> {
  const row = await server.server.services.db
    .selectFrom("accounts")
    .select("pin_failures")
    .where("id", "=", (await storedSession(store)).accountId)
    .executeTakeFirstOrThrow();
  return Number(row.pin_failures);
}

describe("a stolen device without the PIN", () => {
  it("the thief certifies their own number and replaces the trusted one with S9 signed by the stolen device: 2308, the number stays", async () => {
    const { pims, phone } = await victim();
    const thiefPhone = newPhone();
    const code = await certificationCode(server.url, pims, thiefPhone);
    expectFailure(await modify(pims, code, thiefPhone), 2308);
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: phone.national });
    // With no way to move the number, S6 sends the reset code to the victim, not to the thief.
    expectSuccess(await pims.get(requestResetPinCode.api, { type: "resetPIN" }));
    expect((await inbox(server.url, thiefPhone.e164)).some((m) => /reset/i.test(m.body))).toBe(false);
    expect((await inbox(server.url, phone.e164))[0]?.body).toMatch(/reset your PIN/);
    // ... so the thief's own PIN gets no OTP.
    expectFailure(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: "13572468" }), 2308);
    console.log("[figures] stolen device, no PIN: S9 → 2308, trusted number unchanged, S6 code to the victim's number");
  });

  it("the thief guesses the PIN through S9's pinCode: each guess counts toward the lockout, then 2310 even with the right PIN", async () => {
    const { pims, pin, store } = await victim();
    const thiefPhone = newPhone();
    for (let i = 1; i <= 5; i++) {
      const code = await certificationCode(server.url, pims, thiefPhone);
      expectFailure(await modify(pims, code, thiefPhone, `1357246${i}`), 2308);
      expect(await failuresOf(store)).toBe(i);
    }
    const code = await certificationCode(server.url, pims, thiefPhone);
    expectFailure(await modify(pims, code, thiefPhone, pin), 2310);
    console.log("[figures] 5 wrong PINs through S9 → blocked; the 6th attempt, with the right PIN: 2310");
  });

  it("the account is blocked: S9 answers 2310 before any code is spent", async () => {
    const { pims, store } = await victim();
    for (let i = 0; i < 5; i++) await pims.get(otpWithPin.api, { action: "withPIN", pinCode: `2468013${i}` });
    expect(await failuresOf(store)).toBe(5);
    const thiefPhone = newPhone();
    const code = await certificationCode(server.url, pims, thiefPhone);
    expectFailure(await modify(pims, code, thiefPhone), 2310);
    const row = await server.server.services.db
      .selectFrom("sms_codes")
      .select("attempts")
      .where("phone_e164", "=", thiefPhone.e164)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(0);
  });

  it("a PIN proof the owner made minutes ago is spent by one S9 and expires: a thief arriving later gets 2308", async () => {
    const { pims, pin } = await victim();
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin }));
    // The owner changes the number right after a PIN-verified operation: allowed once, without pinCode.
    const mine = newPhone();
    expectSuccess(await modify(pims, await certificationCode(server.url, pims, mine), mine));
    // The proof was spent: a second change needs the PIN again.
    const thiefPhone = newPhone();
    expectFailure(await modify(pims, await certificationCode(server.url, pims, thiefPhone), thiefPhone), 2308);
    // A proof older than the window (5 min) is worth nothing.
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin }));
    clock.advance(5 * 60_000 + 1);
    expectFailure(await modify(pims, await certificationCode(server.url, pims, thiefPhone), thiefPhone), 2308);
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: mine.national });
  });

  it("the owner, with the PIN, moves the number: the former number is told by SMS and the change is audited", async () => {
    const { pims, phone: former, pin, store } = await victim();
    const next = newPhone();
    expectSuccess(await modify(pims, await certificationCode(server.url, pims, next), next, pin));
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: next.national });
    const [notice] = await inbox(server.url, former.e164);
    expect(notice?.body).toBe(
      `Pims: your account's trusted phone number was changed to a number ending in ${next.e164.slice(-2)}. If you did not do this, contact support now.`,
    );
    const { accountId } = await storedSession(store);
    const events = await server.server.services.db
      .selectFrom("audit_events")
      .select(["event", "outcome", "detail"])
      .where("account_id", "=", accountId)
      .where("event", "in", ["phone.change", "sms.notice"])
      .orderBy("id")
      .execute();
    // One test-clock millisecond: sort by name, not by id.
    events.sort((a, b) => a.event.localeCompare(b.event));
    expect(events.map((e) => [e.event, e.outcome])).toEqual([
      ["phone.change", "success"],
      ["sms.notice", "success"],
    ]);
    expect(JSON.parse(events[0]?.detail ?? "{}")).toMatchObject({ proof: "pinCode", country: "FR" });
  });

  it("the notice speaks French to a client that asks for French", async () => {
    const { phone: former, pin, store } = await victim();
    const next = newPhone();
    // The same device and session, through a fetch that sends Accept-Language.
    const french = await facadeWithLanguage(store, "fr-FR");
    expectSuccess(await modify(french, await certificationCode(server.url, french, next), next, pin));
    const [notice] = await inbox(server.url, former.e164);
    expect(notice?.body).toBe(
      `Pims : le numéro de confiance de votre compte a été remplacé par un numéro se terminant par ${next.e164.slice(-2)}. Si ce n'est pas vous, contactez le support sans attendre.`,
    );
  });
});

/** A facade over the same device store whose requests say `Accept-Language: language`. */
async function facadeWithLanguage(store: PimsStore, language: string): Promise<Pims> {
  const pims = createPims();
  expectSuccess(
    await pims.initialize({
      serverUrl: server.url,
      store,
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), "accept-language": language },
        }),
    }),
  );
  return pims;
}

describe("OTPs die with what vouched for them", () => {
  async function liveOtp() {
    const v = await victim();
    const { otp } = expectSuccess(await v.pims.get(otpWithPin.api, { action: "withPIN", pinCode: v.pin })) as {
      otp: string;
    };
    return { ...v, otp, token: (await storedSession(v.store)).accessToken };
  }

  it("an OTP issued just before S12 (remove all enrollments) no longer verifies", async () => {
    const { pims, otp, token } = await liveOtp();
    expectSuccess(await pims.set(removeEnrollments.api, { action: "remove" }));
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("an OTP issued just before an administrator disables the device no longer verifies", async () => {
    const { otp, token, store } = await liveOtp();
    const deviceId = await storedDeviceId(store);
    const disabled = await fetch(`${server.url}/v1/admin/devices/${deviceId}/disable`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(disabled.status).toBe(200);
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("an OTP issued just before S13 (PIN reset by SMS) no longer verifies", async () => {
    const { pims, otp, token, phone } = await liveOtp();
    const smsCode = await resetPinCode(server.url, pims, phone);
    expectSuccess(await pims.set(resetPin.api, { action: "reset", pinCode: "86420975", smsCode }));
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("an OTP issued just before S14 (PIN change) no longer verifies", async () => {
    const { pims, otp, token, pin } = await liveOtp();
    expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "97531864" }));
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
  });

  it("only what vouched dies: disabling a second device kills its OTP, the first device's OTP still verifies", async () => {
    const { otp, token, store, pims, pin, phone } = await liveOtp();
    // A second device of the same account (full method: S4, S7, S10 with the account PIN).
    const second = createPims();
    const secondStore = memoryStore();
    await secondStore.set("pims.session", await store.get("pims.session"));
    expectSuccess(await second.initialize({ serverUrl: server.url, store: secondStore }));
    const { enrollAnotherDevice } = await import("../support/enroll.js");
    await enrollAnotherDevice(server.url, second, phone, pin);
    const { otp: otherOtp } = expectSuccess(await second.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const disabled = await fetch(`${server.url}/v1/admin/devices/${await storedDeviceId(secondStore)}/disable`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(disabled.status).toBe(200);
    expect((await verifyOtp(server.url, rp.key, { otp: otherOtp, accessToken: token })).body.result).toEqual({
      valid: false,
    });
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result?.valid).toBe(true);
    void pims;
  });
});

describe("a refresh-token thief", () => {
  async function refresh(refreshToken: string) {
    const response = await fetch(`${server.url}${INTERNAL_PATHS.refresh}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken }),
    });
    const body = (await response.json()) as { status: string; result?: { accessToken: string; refreshToken: string } };
    return body.result;
  }

  it("refreshes twice ahead of the victim; the victim's two-rotations-old token then revokes the whole family, the thief's tokens included", async () => {
    const store = memoryStore();
    await loggedInPims(server.url, store);
    const victimRefresh = (await storedSession(store)).refreshToken;
    // The thief copied the refresh token and refreshes twice.
    const first = await refresh(victimRefresh);
    const second = await refresh(first?.refreshToken as string);
    expect(second?.refreshToken).toMatch(/^prt_/);
    // The victim's client presents its (now two rotations old) token: refused, and the family dies.
    expect(await refresh(victimRefresh)).toBeUndefined();
    expect(await refresh(second?.refreshToken as string)).toBeUndefined();
    const me = await fetch(`${server.url}/v1/account/username`, {
      method: "POST",
      headers: { authorization: `Bearer ${second?.accessToken}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(me.status).toBe(401);
    console.log(
      "[figures] thief refreshed 2×; victim's token 2 rotations old → family revoked, thief's access and refresh tokens refused",
    );
  });

  it("a token retired many rotations ago still revokes the family", async () => {
    const store = memoryStore();
    await loggedInPims(server.url, store);
    const oldest = (await storedSession(store)).refreshToken;
    let current = oldest;
    for (let i = 0; i < 10; i++) current = (await refresh(current))?.refreshToken as string;
    expect(await refresh(oldest)).toBeUndefined();
    expect(await refresh(current)).toBeUndefined();
  });
});

describe("the development SMS inbox", () => {
  it("a server configured with a real SMS provider and no explicit mode refuses to start, instead of publishing real codes at /dev/sms", () => {
    expect(() => loadConfig({ PIMS_SMS_PROVIDER: "webhook", PIMS_SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms" })).toThrow(
      /PIMS_SMS_PROVIDER=webhook sends real SMS: set PIMS_MODE=production/,
    );
    // An empty PIMS_MODE (a template left blank) says nothing either.
    expect(() =>
      loadConfig({ PIMS_MODE: "", PIMS_SMS_PROVIDER: "webhook", PIMS_SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms" }),
    ).toThrow(/sends real SMS/);
  });

  it("in development mode with a real provider, the inbox does not exist: real codes are not readable at GET /dev/sms", async () => {
    const receiver: string[] = [];
    const { rawServer } = await import("../support/rawServers.js");
    const { readBody } = await import("../support/fakeTwilio.js");
    const operator = await rawServer(async (req, res) => {
      receiver.push(await readBody(req));
      res.end();
    });
    const real = await startTestServer({
      env: { PIMS_MODE: "development", PIMS_SMS_PROVIDER: "webhook", PIMS_SMS_WEBHOOK_URL: `${operator.url}/sms` },
    });
    try {
      const { pims } = await loggedInPims(real.url);
      expectSuccess(
        await pims.get(requestPhoneCertificationCode.api, {
          type: "phoneNumberCertification",
          phoneNumber: newPhone().national,
        }),
      );
      expect(receiver.length).toBe(1);
      const response = await fetch(`${real.url}/dev/sms`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/\d{6}/);
    } finally {
      await real.close();
      await operator.close();
    }
  });
});

describe("a stolen unlocked phone with its SIM, where the deployment demands a recent login for recovery", () => {
  const recoveryClock = new TestClock();
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ clock: recoveryClock, env: { PIMS_RECOVERY_MAX_LOGIN_AGE: "600" } });
  });
  afterAll(() => strict.close());

  it("the thief reads the S6 code on the phone and resets the PIN with S13 on the owner's old session: 2301, the code is not spent; the owner, after logging in again, resets it", async () => {
    const { pims, login, password } = await loggedInPims(strict.url);
    const { phone } = await enrollWithShortcut(strict.url, pims, "70531864");
    recoveryClock.advance(3_600_000); // the session was opened an hour ago (refreshes keep its login time)
    const smsCode = await resetPinCode(strict.url, pims, phone);
    expectFailure(await pims.set(resetPin.api, { action: "reset", pinCode: "86420975", smsCode }), 2301);
    expectFailure(await pims.set(removeEnrollments.api, { action: "remove" }), 2301);
    // The genuine user proves the password again: the same code still works.
    expectSuccess(await pims.set(loginUser.api, { action: "login", login, password }));
    expectSuccess(await pims.set(resetPin.api, { action: "reset", pinCode: "86420975", smsCode }));
    console.log(
      "[figures] PIMS_RECOVERY_MAX_LOGIN_AGE=600, session 1 h old: S13 → 2301, S12 → 2301; after a fresh login: S13 ok",
    );
  });
});
