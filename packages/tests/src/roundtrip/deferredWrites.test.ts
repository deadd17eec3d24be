import { otpWithPin } from "@pims/protocol";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { onDatabase, withAuditRefused } from "../support/onDatabase.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accountIdOf } from "../support/steps.js";

// A PostgreSQL transaction sends its deferrable writes together, before its next other statement
// (db/DeferredWrites.ts, decision 0032): S15's last writes (the PIN count's reset, the device's PIN
// proof, the OTP, its audit row) are one round trip. What S15 answers, writes and refuses must not
// change: these tests hold every engine to the same outcomes.

const PIN = "36925814";
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url);
});
afterAll(() => server.close());

async function enrolled() {
  const { pims } = await loggedInPims(server.url);
  await enrollWithShortcut(server.url, pims, PIN);
  return { pims, accountId: await accountIdOf(server.server, pims) };
}

describe(`deferred writes (${TEST_ENGINE})`, () => {
  it("S15 writes its OTP and its audit row in one statement, and the OTP verifies", async () => {
    const { pims, accountId } = await enrolled();
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN })) as {
      otp: string;
    };
    if (TEST_ENGINE === "postgres") {
      // cmin: the command of its transaction that wrote a row. One statement, one command.
      const commands = await onDatabase(server, async (db) => {
        const otps = await sql<{ c: string }>`select cmin::text as c from otps where account_id = ${accountId}`.execute(
          db,
        );
        const issued = await sql<{ c: string }>`select cmin::text as c from audit_events
          where account_id = ${accountId} and event = 'otp.issue'`.execute(db);
        return [...otps.rows, ...issued.rows].map((row) => row.c);
      });
      expect(commands).toHaveLength(2);
      expect(new Set(commands).size).toBe(1);
    }
    // Read before the verification, whose consume writes the OTP's row anew.
    expect((await verifyOtp(server.url, rp.key, { account: accountId, otp })).body.result?.valid).toBe(true);
  });

  it("a write sent late that fails fails its whole S15: no OTP, no reset, nothing of it kept", async () => {
    // The attack: a write kept for later (here the OTP's audit row, refused by a trigger that stands
    // for any failure of the database) must not leave the OTP issued, or the PIN count reset, when
    // the transaction it belonged to failed.
    const { pims, accountId } = await enrolled();
    await onDatabase(server, (db) => sql`update accounts set pin_failures = 2 where id = ${accountId}`.execute(db));
    const refused = await withAuditRefused(server, "new.event = 'otp.issue'", () =>
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
    );
    expectFailure(refused, 2204);
    const [otps, failures] = await onDatabase(server, async (db) => [
      (await sql<{ n: number }>`select count(*) as n from otps where account_id = ${accountId}`.execute(db)).rows[0],
      (await sql<{ f: number }>`select pin_failures as f from accounts where id = ${accountId}`.execute(db)).rows[0],
    ]);
    expect(Number(otps?.n)).toBe(0);
    // The correct PIN's reset went with the rest: the count is as it was.
    expect(Number((failures as { f: number } | undefined)?.f)).toBe(2);
    // Once the database takes it, the same user gets an OTP, and the count is back to zero.
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
    const after = await onDatabase(
      server,
      async (db) =>
        (await sql<{ f: number }>`select pin_failures as f from accounts where id = ${accountId}`.execute(db)).rows[0],
    );
    expect(Number(after?.f)).toBe(0);
  });
});
