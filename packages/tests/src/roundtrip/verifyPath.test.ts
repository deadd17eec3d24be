import { otpWithoutPin, otpWithPin } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

// The verification's fast paths (issue 14): on SQLite the relying party's limit is reserved in the
// verification's own transaction, on PostgreSQL a valid OTP is consumed, its account locked and its
// audit row written by one statement. Neither may change what a verification answers, counts or
// records: these tests hold each engine to the same outcomes.

const clock = new TestClock();
const LIMIT = 4;
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({
    clock,
    env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: String(LIMIT), PIMS_OTP_TTL: "300" },
  });
  rp = await createRelyingParty(server.url);
});
afterAll(() => server.close());

async function enrolledWithOtps(count: number) {
  const { pims } = await loggedInPims(server.url);
  const { pin } = await enrollWithShortcut(server.url, pims, "36925814");
  const otps: string[] = [];
  for (let i = 0; i < count; i++) {
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    otps.push(otp);
  }
  return { pims, otps, token: await accessToken(pims), accountId: await accountIdOf(server.server, pims) };
}

async function verify(body: unknown) {
  const response = await fetch(`${server.url}/v1/rp/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${rp.key}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return (await response.json()) as { status: string; result?: { valid: boolean }; error?: { code: number } };
}

describe("the relying party's limit, reserved with the verification", () => {
  it("counts every request, malformed ones too, and a request past it consumes nothing", async () => {
    // The attack: a thief with a relying party's key guesses OTPs as fast as the server answers. The
    // limit must count each request whatever it carries, and one past the limit must neither
    // consume the OTP it names nor count a wrong guess against the account's live OTPs.
    clock.advance(60_000);
    const { otps, accountId } = await enrolledWithOtps(3);
    const [first, second, third] = otps as [string, string, string];
    expect((await verify({ account: accountId })).error?.code).toBe(2101);
    expect((await verify({ account: accountId, otp: first })).result?.valid).toBe(true);
    expect((await verify({ account: accountId, otp: "00000000" })).result?.valid).toBe(false);
    expect((await verify({ account: "acc_nobody", otp: second })).result?.valid).toBe(false);
    // The fifth request of the minute: refused before anything is looked at.
    expect((await verify({ account: accountId, otp: second })).error?.code).toBe(2383);
    expect((await verify({ account: accountId, otp: third })).error?.code).toBe(2383);
    clock.advance(60_000);
    // A new window: both OTPs are still live (the refused requests consumed nothing), and the one
    // wrong guess above did not void them.
    expect((await verify({ account: accountId, otp: second })).result?.valid).toBe(true);
    expect((await verify({ account: accountId, otp: third })).result?.valid).toBe(true);
    expect((await verify({ account: accountId, otp: third })).result?.valid).toBe(false);
  });
});

describe("the audit of a verification", () => {
  it("writes the same rows on every engine: a success with its device and detail, a failure after it", async () => {
    clock.advance(60_000);
    const { pims, otps, token, accountId } = await enrolledWithOtps(1);
    const { otp: possessionOnly } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as {
      otp: string;
    };
    const [otp] = otps as [string];
    expect((await verify({ accessToken: token, otp })).result?.valid).toBe(true);
    expect((await verify({ account: accountId, otp: possessionOnly })).result?.valid).toBe(true);
    expect((await verify({ account: accountId, otp })).result?.valid).toBe(false);
    const events = await server.server.services.db
      .selectFrom("audit_events")
      .select(["id", "at", "event", "outcome", "account_id", "device_id", "client_address", "detail"])
      .where("account_id", "=", accountId)
      .where("event", "=", "otp.verify")
      .execute();
    const [device] = await server.server.services.devices.ofAccount(accountId);
    // Written within one millisecond of the test clock: in any order.
    expect(events).toHaveLength(3);
    const row = (outcome: string, deviceId: string | null | undefined, detail: object) => ({
      at: clock.now(),
      event: "otp.verify",
      outcome,
      account_id: accountId,
      device_id: deviceId,
      client_address: "127.0.0.1",
      // The same text JSON.stringify writes, whichever engine wrote it.
      detail: JSON.stringify(detail),
    });
    expect(events.map(({ id: _id, ...event }) => event)).toEqual(
      expect.arrayContaining([
        row("success", device?.id, { relyingParty: rp.id, factors: "possession+knowledge" }),
        row("success", device?.id, { relyingParty: rp.id, factors: "possession" }),
        row("failure", null, { relyingParty: rp.id }),
      ]),
    );
    expect(events.every((event) => /^evt_/.test(event.id))).toBe(true);
  });
});
