import { otpWithoutPin, otpWithPin, removeEnrollments, resetPin, updatePin } from "@pims/protocol";
import { memoryStore, type PimsMessage } from "@pims/sdk";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deferWrites, registerDeferrable } from "../../../server/src/db/DeferredWrites.js";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { onDatabase, withAuditRefused } from "../support/onDatabase.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf, resetPinCode } from "../support/steps.js";
import { storedDeviceId } from "../support/stores.js";

// Red team 8 (issue 14): attacks on PostgreSQL's deferred writes (db/DeferredWrites.ts, commit
// 8c33b6f, decision 0032): the deferrable writes of a transaction (audit append, OTP insert, PIN
// count reset, device PIN proof) kept and sent as one statement before the transaction's next
// other statement, and the PIN reservation that now returns the recovery's time. A passing test is
// an attack refuted. The flows run on every engine (the promise is "the same outcomes"); the
// attacks on the wrapper itself and on a failing kept write run on PostgreSQL only.

const PIN = "36925814";
const MAX_FAILURES = 3;
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({
    env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_PIN_MAX_FAILURES: String(MAX_FAILURES), PIMS_RP_MAX_PER_MINUTE: "1000" },
  });
  rp = await createRelyingParty(server.url, "redteam8");
});
afterAll(() => server.close());

async function enrolled(pin = PIN) {
  const store = memoryStore();
  const { pims } = await loggedInPims(server.url, store);
  const { phone } = await enrollWithShortcut(server.url, pims, pin);
  return {
    pims,
    store,
    phone,
    accountId: await accountIdOf(server.server, pims),
    token: await accessToken(pims),
  };
}

/** The account's audit events, oldest first: `event/outcome`. */
async function auditOf(accountId: string): Promise<string[]> {
  return onDatabase(server, async (db) =>
    (
      await sql<{ event: string; outcome: string }>`select event, outcome from audit_events
        where account_id = ${accountId} order by id`.execute(db)
    ).rows.map((row) => `${row.event}/${row.outcome}`),
  );
}

const count = (events: readonly string[], name: string) => events.filter((event) => event === name).length;

/** The OTP of a SUCCEEDED S15/S16, or `undefined`. */
const otpOf = (answer: PimsMessage): string | undefined =>
  answer.status === "SUCCEEDED" ? (answer.result as { otp?: string } | null)?.otp : undefined;
/** The error code of a FAILED message, 0 for a SUCCEEDED one. */
const codeOf = (answer: PimsMessage): number => (answer.status === "FAILED" ? answer.error.code : 0);

describe(`red team 8: deferred writes (${TEST_ENGINE})`, () => {
  it("wrong PINs racing one another and a correct one: the lockout stays exact, every attempt audited", async () => {
    // The attack: the correct PIN's count reset is kept for later; racing S15 with wrong PINs
    // must still spend exactly MAX_FAILURES attempts and write one audit row for each.
    const { pims, accountId } = await enrolled();
    const answers = await Promise.all([
      ...Array.from({ length: 7 }, () => pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11223344" })),
    ]);
    const codes = answers.map(codeOf);
    expect(codes.filter((code) => code === 2308)).toHaveLength(MAX_FAILURES);
    expect(codes.filter((code) => code === 2310)).toHaveLength(7 - MAX_FAILURES);
    expectFailure(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }), 2310);
    const events = await auditOf(accountId);
    expect(count(events, "pin.check/failure")).toBe(MAX_FAILURES);
    expect(count(events, "account.block/success")).toBe(1);
    expect(count(events, "pin.check/refused")).toBe(7 - MAX_FAILURES + 1);
    expect(count(events, "otp.issue/success")).toBe(0);
    const failures = await onDatabase(
      server,
      async (db) =>
        (await sql<{ f: number }>`select pin_failures as f from accounts where id = ${accountId}`.execute(db)).rows[0],
    );
    expect(Number(failures?.f)).toBe(MAX_FAILURES);
  });

  it("a correct S15 racing wrong ones: the count after is what the order of commits says", async () => {
    // The attack: the correct PIN's kept reset (update accounts set pin_failures = 0) lands at
    // COMMIT, after a racing wrong attempt's reservation could have been read: the count must
    // never be below what the committed wrong attempts after the reset make it.
    const { pims, accountId } = await enrolled();
    const answers = await Promise.all([
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11223344" }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11223344" }),
    ]);
    expect(answers[1]?.status).toBe("SUCCEEDED");
    const rows = await onDatabase(
      server,
      async (db) =>
        (
          await sql<{ event: string; outcome: string; at: string }>`select event, outcome, at from audit_events
            where account_id = ${accountId}`.execute(db)
        ).rows,
    );
    const events = rows.map((row) => `${row.event}/${row.outcome}`);
    const issuedAt = Number(rows.find((row) => row.event === "otp.issue")?.at);
    const wrongAt = rows
      .filter((row) => row.event === "pin.check" && row.outcome === "failure")
      .map((row) => Number(row.at));
    const failures = await onDatabase(
      server,
      async (db) =>
        (await sql<{ f: number }>`select pin_failures as f from accounts where id = ${accountId}`.execute(db)).rows[0],
    );
    // The count is the wrong attempts after the reset: those audited later than the OTP (a tie of
    // the same millisecond may go either way).
    const after = wrongAt.filter((at) => at > issuedAt).length;
    const tied = wrongAt.filter((at) => at === issuedAt).length;
    expect(Number(failures?.f)).toBeGreaterThanOrEqual(after);
    expect(Number(failures?.f)).toBeLessThanOrEqual(after + tied);
    expect(count(events, "pin.check/failure")).toBe(2);
  });

  it("S15 racing a PIN reset by SMS: the old PIN's OTP dies, the new PIN's OTP says sms in its amr", async () => {
    // The attack: the recovery's time is now read by the reservation rather than after the reset;
    // an S15 racing S13 must not issue an OTP without `sms` under the new PIN, nor keep a live OTP
    // of the old one.
    const { pims, phone, token } = await enrolled();
    // Before any recovery: no `sms` (the reservation's null, not a stale value of another account).
    const plain = otpOf(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
    expect((await verifyOtp(server.url, rp.key, { otp: plain, accessToken: token })).body.result?.amr).toEqual([
      "swk",
      "pin",
      "mfa",
    ]);
    const before = otpOf(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
    expect(before).toBeDefined();
    const smsCode = await resetPinCode(server.url, pims, phone);
    const NEW_PIN = "86420975";
    const [racing, reset, racingNew] = await Promise.all([
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.set(resetPin.api, { action: "reset", pinCode: NEW_PIN, smsCode }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: NEW_PIN }),
    ]);
    expectSuccess(reset);
    for (const otp of [before, otpOf(racing)]) {
      if (otp === undefined) continue;
      expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    }
    const after = otpOf(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: NEW_PIN }));
    for (const otp of [otpOf(racingNew), after]) {
      if (otp === undefined) continue;
      const verified = (await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result;
      expect(verified?.valid).toBe(true);
      expect(verified?.amr).toContain("sms");
    }
  });

  it("S15 racing a PIN change: no OTP the former PIN vouched for outlives the change", async () => {
    // The attack: S15's OTP insert and audit row are kept until COMMIT; a PIN change racing it
    // must still revoke it (the account's row lock, taken by the reservation, serializes them).
    const { pims, token, accountId } = await enrolled();
    const NEW_PIN = "97531864";
    const answers = await Promise.all([
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.set(updatePin.api, { action: "update", oldPIN: PIN, newPIN: NEW_PIN }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
    ]);
    expectSuccess(answers[2] as never);
    for (const answer of [answers[0], answers[1], answers[3]]) {
      const otp = answer && otpOf(answer);
      if (otp === undefined) continue;
      expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    }
    const events = await auditOf(accountId);
    expect(count(events, "pin.change/success")).toBe(1);
  });

  it("S15 and S16 racing an administrator's disable: none of their OTPs verifies after it", async () => {
    // The attack: the device's PIN proof (update devices) now goes in one statement with the OTP
    // at COMMIT, so S15 takes the device's row lock late; the disable's revocation must still win.
    const { pims, store, token } = await enrolled();
    const deviceId = await storedDeviceId(store);
    const [a, b, disabled] = await Promise.all([
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.get(otpWithoutPin.api, { action: "withoutPIN" }),
      fetch(`${server.url}/v1/admin/devices/${deviceId}/disable`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }),
    ]);
    expect(disabled.status).toBe(200);
    for (const answer of [a, b]) {
      const otp = answer && otpOf(answer);
      if (otp === undefined) continue;
      expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    }
  });

  it("S15 and S16 racing the removal of every enrollment: none of their OTPs verifies, the count is reset", async () => {
    // The attack: S12 keeps its PIN count reset (flushed before its revocation) and its audit row;
    // an S15 in flight keeps its OTP until COMMIT: neither may let an OTP outlive the removal.
    const { pims, token, accountId } = await enrolled();
    const [a, removed, b, c] = await Promise.all([
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
      pims.set(removeEnrollments.api, { action: "remove" }),
      pims.get(otpWithoutPin.api, { action: "withoutPIN" }),
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
    ]);
    expectSuccess(removed);
    for (const answer of [a, b, c]) {
      const otp = answer && otpOf(answer);
      if (otp === undefined) continue;
      expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    }
    const events = await auditOf(accountId);
    expect(count(events, "device.removeAll/success")).toBe(1);
    const failures = await onDatabase(
      server,
      async (db) =>
        (await sql<{ f: number }>`select pin_failures as f from accounts where id = ${accountId}`.execute(db)).rows[0],
    );
    expect(Number(failures?.f)).toBe(0);
  });

  it.runIf(TEST_ENGINE === "postgres")(
    "a PIN change whose kept audit row fails: nothing of it commits, and the next requests leak nothing",
    async () => {
      // The attack: the change's audit row is kept until COMMIT; its failure must undo the new PIN
      // and the revocation, be reported, and leave no kept write on the pooled connection.
      const { pims, token, accountId } = await enrolled();
      const live = otpOf(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
      const refused = await withAuditRefused(server, "new.event = 'pin.change'", () =>
        pims.set(updatePin.api, { action: "update", oldPIN: PIN, newPIN: "97531864" }),
      );
      expect(refused.status).toBe("FAILED");
      // The old PIN still works; the OTP it vouched for was not revoked (the revocation rolled back).
      expect(live).toBeDefined();
      expect((await verifyOtp(server.url, rp.key, { otp: live, accessToken: token })).body.result?.valid).toBe(true);
      const again = await Promise.all(
        Array.from({ length: 6 }, () => pims.get(otpWithoutPin.api, { action: "withoutPIN" })),
      );
      for (const answer of again) expectSuccess(answer);
      expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
      const events = await auditOf(accountId);
      expect(count(events, "pin.change/success")).toBe(0);
      expect(count(events, "otp.issue/success")).toBe(8);
      const rows = await onDatabase(
        server,
        async (db) =>
          (
            await sql<{ n: number }>`select count(*) as n from otps where account_id = ${accountId}
              and consumed_by like 'revoked:%'`.execute(db)
          ).rows[0],
      );
      expect(Number(rows?.n)).toBe(0);
    },
  );

  it.runIf(TEST_ENGINE === "postgres")(
    "a disable whose kept audit row fails: the device stays active and its OTP keeps working",
    async () => {
      // The attack: a revocation answered before its audit row is written; if the row fails, the
      // administrator must get an error and the database must be as before (all or nothing).
      const { pims, store, token } = await enrolled();
      const deviceId = await storedDeviceId(store);
      const live = otpOf(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }));
      const disabled = await withAuditRefused(server, "new.event = 'device.disable'", () =>
        fetch(`${server.url}/v1/admin/devices/${deviceId}/disable`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        }),
      );
      expect(disabled.status).toBeGreaterThanOrEqual(500);
      expect((await verifyOtp(server.url, rp.key, { otp: live, accessToken: token })).body.result?.valid).toBe(true);
      // Retried once the database takes it: disabled, and its OTPs die.
      const next = otpOf(await pims.get(otpWithoutPin.api, { action: "withoutPIN" }));
      const retried = await fetch(`${server.url}/v1/admin/devices/${deviceId}/disable`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(retried.status).toBe(200);
      expect((await verifyOtp(server.url, rp.key, { otp: next, accessToken: token })).body.result).toEqual({
        valid: false,
      });
    },
  );
});

/** The tenants' sum of `pims_otps_total{event="issued"}` as /metrics tells it. */
async function issuedMetric(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("pims_otps_total{") && line.includes('event="issued"'))
    .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

describe.runIf(TEST_ENGINE === "postgres")("red team 8: what is told before the kept writes land", () => {
  it("an S15 whose kept OTP audit row fails is not counted as an OTP issued", async () => {
    // The attack: AuditLog.append tells the metrics of its event once the insert is answered, and a
    // kept insert is answered before it is sent: an S15 that fails (2204) with its OTP never written
    // must not count in pims_otps_total{event="issued"}, as it did not before 0032.
    const { pims } = await enrolled();
    const before = await issuedMetric();
    const refused = await withAuditRefused(server, "new.event = 'otp.issue'", () =>
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN }),
    );
    expectFailure(refused, 2204);
    expect(await issuedMetric()).toBe(before);
  });
});

describe.runIf(TEST_ENGINE === "postgres")("red team 8: the wrapper on a real PostgreSQL connection", () => {
  // Letters only: a deferrable write's table is `[a-z_]+`.
  const table = `redteam_${Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("")}`;
  const url = process.env.PIMS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const INSERT = `insert into "${table}" ("id", "v", "n", "arr") values ($1, $2, $3, $4)`;
  const UPDATE = `update "${table}" set "v" = $1 where "id" = $2`;
  let client: pg.Client;
  let other: pg.Client;
  let query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url });
    other = new pg.Client({ connectionString: url });
    await client.connect();
    await other.connect();
    await client.query(`create table "${table}" (id text primary key, v text, n integer, arr text[])`);
    registerDeferrable(INSERT);
    registerDeferrable(UPDATE);
    const wrapped = deferWrites(client.query.bind(client) as never) as (text: string, values: unknown[]) => unknown;
    query = (text, values = []) => wrapped(text, values) as Promise<pg.QueryResult>;
  });
  afterAll(async () => {
    await client.query(`drop table if exists "${table}"`);
    await client.end();
    await other.end();
  });

  const rows = async () =>
    (await other.query(`select id, v, n, arr from "${table}" order by id`)).rows as {
      id: string;
      v: string | null;
      n: number | null;
      arr: string[] | null;
    }[];

  it("values that look like SQL or placeholders, nulls and arrays come out as they went in", async () => {
    // The attack: parameters renumbered by text (`$n` → `$n+offset`): a value holding `$1`, a
    // quote or an array must be bound, never spliced, and land in its own row's column.
    await query("begin");
    await query(INSERT, ["a", "$1", 1, ["$2", "x'y"]]);
    await query(INSERT, ["b", null, null, null]);
    await query(INSERT, ["c", "'); drop table x; --", 3, []]);
    await query(UPDATE, ["$3$", "a"]);
    const inside = await query(`select count(*)::int as n from "${table}"`);
    expect(inside.rows[0].n).toBe(3);
    expect(await rows()).toEqual([]);
    await query("commit");
    expect(await rows()).toEqual([
      { id: "a", v: "$3$", n: 1, arr: ["$2", "x'y"] },
      { id: "b", v: null, n: null, arr: null },
      { id: "c", v: "'); drop table x; --", n: 3, arr: [] },
    ]);
  });

  it("concurrent statements on one transaction see the kept writes asked for before them", async () => {
    // The attack: Promise.all on a transaction, kept writes and reads interleaved.
    await query("begin");
    const [, first, , second] = await Promise.all([
      query(INSERT, ["p1", "1", 1, null]),
      query(`select count(*)::int as n from "${table}" where id like 'p%'`),
      query(INSERT, ["p2", "2", 2, null]),
      query(`select count(*)::int as n from "${table}" where id like 'p%'`),
    ]);
    expect(first.rows[0].n).toBe(1);
    expect(second.rows[0].n).toBe(2);
    await query("rollback");
    expect((await rows()).filter((row) => row.id.startsWith("p"))).toEqual([]);
  });

  it("a savepoint rolled back drops what was kept after it, and keeps what was kept before", async () => {
    // The attack: a kept write of a savepoint rolled back must not come back at COMMIT.
    await query("begin");
    await query(INSERT, ["s1", null, null, null]);
    await query("savepoint rt8");
    await query(INSERT, ["s2", null, null, null]);
    await query("rollback to savepoint rt8");
    await query(INSERT, ["s3", null, null, null]);
    await query("commit");
    expect((await rows()).filter((row) => row.id.startsWith("s")).map((row) => row.id)).toEqual(["s1", "s3"]);
  });

  it("a kept write that fails, its error caught by the caller of the next statement: COMMIT fails", async () => {
    // The attack: the late error lands on an innocent statement whose caller swallows it; the
    // transaction must not be taken for committed.
    await query("begin");
    await query(INSERT, ["f1", null, null, null]);
    await query(INSERT, ["a", null, null, null]); // a duplicate key: fails when sent
    await query(`select 1`).catch(() => undefined);
    await expect(query("commit")).rejects.toThrow();
    expect((await rows()).filter((row) => row.id === "f1")).toEqual([]);
    // The connection is clean: an autocommitted write is sent at once, seen from elsewhere.
    await query(INSERT, ["f2", null, null, null]);
    expect((await rows()).filter((row) => row.id === "f2")).toHaveLength(1);
  });

  it("a transaction rolled back with writes kept leaks none of them into the next one", async () => {
    // The attack: writes kept when the transaction ends by ROLLBACK must not be sent with the
    // next transaction on the same connection.
    await query("begin");
    await query(INSERT, ["r1", null, null, null]);
    await query(INSERT, ["r2", null, null, null]);
    await query("rollback");
    await query("begin");
    await query(INSERT, ["r3", null, null, null]);
    await query("commit");
    expect((await rows()).filter((row) => row.id.startsWith("r")).map((row) => row.id)).toEqual(["r3"]);
  });

  it("300 distinct composed texts (past the 256 named ones) all run, each with its own values", async () => {
    // The attack: the name cache of composed statements overflows; texts past it must still run,
    // and a name must never be reused for another text.
    const texts = Array.from(
      { length: 300 },
      (_, i) => `insert into "${table}" ("id", "v", "n", "arr") values ($1, $2, $3 + ${i}, $4)`,
    );
    for (const text of texts) registerDeferrable(text);
    for (let i = 0; i < texts.length; i++) {
      await query("begin");
      await query(texts[i] as string, [`m${String(i).padStart(3, "0")}`, `$${i}`, 0, null]);
      await query(INSERT, [`m${String(i).padStart(3, "0")}x`, null, i, null]);
      await query("commit");
    }
    const made = (await rows()).filter((row) => row.id.startsWith("m"));
    expect(made).toHaveLength(600);
    for (let i = 0; i < texts.length; i++) {
      const id = `m${String(i).padStart(3, "0")}`;
      expect(made.find((row) => row.id === id)).toMatchObject({ v: `$${i}`, n: i });
      expect(made.find((row) => row.id === `${id}x`)).toMatchObject({ n: i });
    }
  });
});
