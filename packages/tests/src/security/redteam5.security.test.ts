import { stat } from "node:fs/promises";
import { createAccount, otpWithoutPin, otpWithPin, updatePin } from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import Database from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { holdAccountLock } from "../support/locks.js";
import { type Recorded, recordingFetch, replay } from "../support/recordingFetch.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf } from "../support/steps.js";
import { storedDeviceId } from "../support/stores.js";

// Red team 5 (issue 14, performance): attacks on the session's fast paths — the verification's
// single statement on PostgreSQL, the relying party's limit in the verification's transaction on
// SQLite, and the nonce of S15/S16 spent in their own transaction. A passing test is an attack
// refuted; one that failed on the code it was written against (7dd07b5) says so.

const RP_LIMIT = 40;
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: String(RP_LIMIT) } });
  rp = await createRelyingParty(server.url, "redteam5-rp");
});
afterAll(() => server.close());

let counter = 0;

/** An enrolled user whose every request the attacker records (the wire of the threat model). */
async function recordedUser() {
  const recorder = recordingFetch();
  const store: PimsStore = memoryStore();
  const pims: Pims = createPims();
  // While `intercept` is set, a request to that path is recorded and never delivered.
  const wire = { intercept: undefined as string | undefined };
  const fetchFn: typeof fetch = async (input, init) => {
    if (wire.intercept !== undefined && String(input).endsWith(wire.intercept)) {
      const headers = { ...(init?.headers as Record<string, string>) };
      recorder.sent.push({ url: String(input), headers, body: String(init?.body ?? "") });
      throw new TypeError("intercepted");
    }
    return recorder.fetch(input, init);
  };
  expectSuccess(await pims.initialize({ serverUrl: server.url, store, fetch: fetchFn }));
  const login = `red5-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a-long-password-1" }));
  const { pin } = await enrollWithShortcut(server.url, pims);
  const lastSent = (path: string): Recorded => {
    const found = recorder.sent.filter((request) => request.url.endsWith(path)).at(-1);
    if (!found) throw new Error(`no ${path} request recorded`);
    return found;
  };
  return { pims, store, pin, lastSent, wire, accountId: await accountIdOf(server.server, pims) };
}

async function s16(pims: Pims) {
  return (expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string }).otp;
}

const wrongOf = (otp: string) => `${otp.slice(0, -1)}${otp.endsWith("0") ? "1" : "0"}`;

/** Runs `statements` on the test server's database, outside Pims (the tenant scope is Pims's own). */
async function onDatabase(statements: string[]): Promise<void> {
  if (TEST_ENGINE === "postgres") {
    const client = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`set search_path to "${server.server.services.config.databaseSchema}"`);
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
    return;
  }
  const db = new Database(server.databasePath);
  try {
    for (const statement of statements) db.exec(statement);
  } finally {
    db.close();
  }
}

const FAIL_OTP_INSERT =
  TEST_ENGINE === "postgres"
    ? [
        "create function redteam5_fail() returns trigger language plpgsql as $$ begin raise exception 'redteam5'; end $$",
        "create trigger redteam5_fail before insert on otps for each row execute function redteam5_fail()",
      ]
    : ["create trigger redteam5_fail before insert on otps begin select raise(abort, 'redteam5'); end"];
const RESTORE_OTP_INSERT =
  TEST_ENGINE === "postgres"
    ? ["drop trigger redteam5_fail on otps", "drop function redteam5_fail()"]
    : ["drop trigger redteam5_fail"];

describe("S15/S16: the nonce spent in the request's own transaction", () => {
  it("a recorded S15 with a wrong PIN, replayed, is refused as a replay and spends no second attempt", async () => {
    // The attack: the eavesdropper replays the user's S15 whose PIN was wrong; with the nonce now committed by the PIN attempt's transaction, a replay could count a second wrong PIN (locking the user out faster) or slip past as a fresh request.
    const user = await recordedUser();
    expectFailure(await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11112222" }), 2308);
    const signed = user.lastSent(otpWithPin.path);
    for (let i = 0; i < 6; i++) expect((await replay(signed)).body.error?.code).toBe(2311);
    // Four more wrong PINs are still allowed (5 in all): the replays counted none.
    for (let i = 0; i < 3; i++) {
      expectFailure(await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11112222" }), 2308);
    }
    expectSuccess(await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: user.pin }));
  });

  it("copies of one recorded S16 sent at once give one OTP, the others 2311", async () => {
    // The attack: the eavesdropper fires a recorded S16 many times at once, racing the nonce's insert in the transaction (a replay must wait on the nonce's row and find it spent).
    const user = await recordedUser();
    // The user's S16, signed, intercepted before it arrives.
    user.wire.intercept = otpWithoutPin.path;
    await user.pims.get(otpWithoutPin.api, { action: "withoutPIN" });
    user.wire.intercept = undefined;
    const signed = user.lastSent(otpWithoutPin.path);
    const answers = await Promise.all(Array.from({ length: 8 }, () => replay(signed)));
    expect(answers.filter((answer) => answer.body.status === "SUCCEEDED")).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.error?.code === 2311)).toHaveLength(7);
  });

  it("an S16 refused because the account is blocked cannot be replayed once it is unblocked (failed on 7dd07b5: the refusal left its nonce unspent)", async () => {
    // The attack: the account is blocked (5 wrong PINs); the user's S16 is refused (2310) before its transaction, so the nonce is never spent; the eavesdropper keeps the signed request and replays it, within its time window, after the administrator unblocks the account — and gets an OTP the user never got.
    const user = await recordedUser();
    for (let i = 0; i < 5; i++) await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: "11112222" });
    expectFailure(await user.pims.get(otpWithoutPin.api, { action: "withoutPIN" }), 2310);
    const refused = user.lastSent(otpWithoutPin.path);
    const unblock = await fetch(`${server.url}/v1/admin/accounts/${user.accountId}/unblock`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(unblock.status).toBe(200);
    const replayed = await replay(refused);
    expect(replayed.body.status).toBe("FAILED");
    expect(replayed.body.error?.code).toBe(2311);
  });

  it("an S16 whose transaction rolled back cannot be replayed once the fault is gone (failed on 7dd07b5: the rollback took the nonce with it)", async () => {
    // The attack: the user's S16 fails inside its transaction (here the OTP's insert fails, as a database fault would), which rolls its nonce back; the eavesdropper replays the recorded request after the fault clears and gets an OTP from a request the server already answered.
    const user = await recordedUser();
    await onDatabase(FAIL_OTP_INSERT);
    let failed: Awaited<ReturnType<Pims["get"]>>;
    try {
      failed = await user.pims.get(otpWithoutPin.api, { action: "withoutPIN" });
    } finally {
      await onDatabase(RESTORE_OTP_INSERT);
    }
    expect(failed.status).toBe("FAILED");
    const replayed = await replay(user.lastSent(otpWithoutPin.path));
    expect(replayed.body.status).toBe("FAILED");
    expect(replayed.body.error?.code).toBe(2311);
    // The user's own next request (a new nonce) is served.
    await s16(user.pims);
  });
});

describe("the verification's fast path", () => {
  it("an OTP that faced the guessing limit stays void, also by the single statement on PostgreSQL", async () => {
    // The attack: the relying party (or a token holder through it) guesses wrong until the limit, then presents the real OTP: the fast path must respect wrong_guesses at the limit.
    const user = await recordedUser();
    const otp = await s16(user.pims);
    const max = server.server.services.config.otp.maxFailedVerifications;
    for (let i = 0; i < max; i++) {
      expect(
        (await verifyOtp(server.url, rp.key, { otp: wrongOf(otp), account: user.accountId })).body.result?.valid,
      ).toBe(false);
    }
    expect((await verifyOtp(server.url, rp.key, { otp, account: user.accountId })).body.result?.valid).toBe(false);
  });

  it("the right OTP and wrong guesses at once, one short of the limit: at most one valid, and a valid one has exactly one success row", async () => {
    // The attack: with wrong_guesses one short of the limit, the guesser sends the last wrong guess and copies of the stolen OTP at once, hoping the single statement consumes it past a guess that voided it, or twice.
    const user = await recordedUser();
    const otp = await s16(user.pims);
    const max = server.server.services.config.otp.maxFailedVerifications;
    for (let i = 0; i < max - 1; i++)
      await verifyOtp(server.url, rp.key, { otp: wrongOf(otp), account: user.accountId });
    const token = await accessToken(user.pims);
    const answers = await Promise.all([
      verifyOtp(server.url, rp.key, { otp: wrongOf(otp), account: user.accountId }),
      ...Array.from({ length: 6 }, (_, i) =>
        verifyOtp(server.url, rp.key, i % 2 === 0 ? { otp, account: user.accountId } : { otp, accessToken: token }),
      ),
    ]);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const valid = answers.filter((answer) => answer.body.result?.valid === true).length;
    expect(valid).toBeLessThanOrEqual(1);
    const rows = await server.server.services.audit.ofAccount(user.accountId, 100);
    const successes = rows.filter((row) => row.event === "otp.verify" && row.outcome === "success");
    expect(successes.length).toBe(valid);
    // The wrong guess came first (the OTP voided, nothing valid) or after the success (nothing live to count).
    const wrongFirst = valid === 0;
    const failures = rows.filter((row) => row.event === "otp.verify" && row.outcome === "failure");
    expect(failures.length).toBe(max - 1 + answers.length - valid);
    if (wrongFirst) expect(failures.some((row) => String(row.detail).includes('"voided":1'))).toBe(true);
  });

  it("a valid verification's audit row is the one the transaction wrote: device, relying party, factors, address", async () => {
    // The attack on accountability: the single statement's audit row (built by PostgreSQL from columns) says less or other than the old one, or is missing, for a verification the relying party was told succeeded.
    const user = await recordedUser();
    const otp = await s16(user.pims);
    const verdict = await verifyOtp(server.url, rp.key, { otp, accessToken: await accessToken(user.pims) });
    expect(verdict.body.result?.valid).toBe(true);
    const [row] = (await server.server.services.audit.ofAccount(user.accountId, 100)).filter(
      (event) => event.event === "otp.verify",
    );
    expect(row?.outcome).toBe("success");
    expect(row?.device_id).toBe(await storedDeviceId(user.store));
    expect(row?.client_address).toBe("127.0.0.1");
    expect(JSON.parse(String(row?.detail))).toEqual({ relyingParty: rp.id, factors: "possession" });
  });

  it.runIf(TEST_ENGINE === "postgres")(
    "an OTP whose device is disabled while the verification waits on the account's lock is refused (PostgreSQL; failed on 7dd07b5: the single statement read the device as it was before the wait)",
    async () => {
      // The attack: a verification waits on the account's row lock (a PIN attempt or another verification holds it) while the device is disabled; the single statement took its snapshot before the wait, so its check that the device is active could read the device as it was before the disabling.
      const user = await recordedUser();
      const otp = await s16(user.pims);
      const deviceId = await storedDeviceId(user.store);
      const { release } = await holdAccountLock(server, user.accountId);
      // The device's row changed, its OTP not revoked: what the consume's device check exists for
      // (an OTP whose issue raced the disabling and escaped its revocation).
      const client = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`set search_path to "${server.server.services.config.databaseSchema}"`);
        await client.query("begin");
        await client.query("update devices set status = 'disabled' where id = $1", [deviceId]);
        const verdict = verifyOtp(server.url, rp.key, { otp, account: user.accountId });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.query("commit");
        await release();
        expect((await verdict).body.result?.valid).toBe(false);
      } finally {
        await release();
        await client.end();
      }
    },
  );
});

describe("the account's lock", () => {
  it("verifications racing a PIN change (which locks the account and revokes its OTPs) all get an answer, and none valid after it", async () => {
    // The attack (a DoS): verifications on the fast path and an S14 take the account's row and its OTPs' rows in different orders, deadlock, and answer 500; or a verification slips an OTP past its revocation.
    const user = await recordedUser();
    const otp = await s16(user.pims);
    const token = await accessToken(user.pims);
    const [changed, ...answers] = await Promise.all([
      user.pims.set(updatePin.api, { action: "update", oldPIN: user.pin, newPIN: "97531864" }),
      ...Array.from({ length: 6 }, (_, i) =>
        verifyOtp(server.url, rp.key, i % 2 === 0 ? { otp, account: user.accountId } : { otp, accessToken: token }),
      ),
    ]);
    expectSuccess(changed);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.filter((answer) => answer.body.result?.valid === true).length).toBeLessThanOrEqual(1);
    expect((await verifyOtp(server.url, rp.key, { otp, account: user.accountId })).body.result?.valid).toBe(false);
  });
});

describe("the WAL checkpoint worker", () => {
  it.runIf(TEST_ENGINE === "sqlite")(
    "the database's -wal and -shm files are the owner's only, with the worker's connection open",
    async () => {
      // The attack: another local user reads the WAL (recent OTP MACs, audit rows, sessions) because the worker's second connection created it with the process's umask.
      const user = await recordedUser();
      await s16(user.pims);
      for (const suffix of ["", "-wal", "-shm"]) {
        expect(((await stat(`${server.databasePath}${suffix}`)).mode & 0o777).toString(8)).toBe("600");
      }
    },
  );
});

describe("the relying party's limit", () => {
  it("malformed verifications count against the limit, and the party is refused past it (2383)", async () => {
    // The attack: a relying party (or whoever holds its key) floods verifications with bodies that fail validation, hoping they are refused before the limit is reserved and so never counted.
    const party = await createRelyingParty(server.url, "redteam5-limit");
    for (let i = 0; i < RP_LIMIT; i++) {
      const answer = await verifyOtp(server.url, party.key, { otp: 12 });
      expect(answer.body.error?.code).toBe(2102);
    }
    expect((await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" })).body.error?.code).toBe(2383);
    expect((await verifyOtp(server.url, party.key, { otp: 12 })).body.error?.code).toBe(2383);
    // Another party's budget is its own.
    expect((await verifyOtp(server.url, rp.key, { otp: "123456", account: "acc_x" })).status).toBe(200);
  });

  it("verifications with no such account count too: the party cannot probe past its limit", async () => {
    // The attack: unknown accounts and tokens take the path with no principal, whose hit (on SQLite now in the verification's transaction) could be skipped.
    const party = await createRelyingParty(server.url, "redteam5-probe");
    for (let i = 0; i < RP_LIMIT; i++) {
      const body = i % 2 === 0 ? { otp: "123456", account: `acc_none${i}` } : { otp: "123456", accessToken: "nope" };
      expect((await verifyOtp(server.url, party.key, body)).body.result?.valid).toBe(false);
    }
    expect((await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" })).body.error?.code).toBe(2383);
  });
});

describe("INSERT … SELECT and common table expressions under the tenant scope", () => {
  let brands: TestServer;
  beforeAll(async () => {
    brands = await startTestServer({
      env: { PIMS_ADMIN_KEY: ADMIN_KEY },
      tenants: [
        { id: "peugeot", name: "Peugeot", apps: [{ clientId: "peugeot-ios-0005", name: "Peugeot iOS" }] },
        { id: "opel", name: "Opel", apps: [{ clientId: "opel-android-0005", name: "Opel Android" }] },
      ],
    });
  });
  afterAll(() => brands.close());

  async function accountAt(tenant: string, clientId: string) {
    const pims = createPims();
    expectSuccess(await pims.initialize({ serverUrl: brands.url, store: memoryStore(), credential: { clientId } }));
    const login = `red5-${tenant}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a-long-password-1" }));
    const services = brands.server.tenants.get(tenant)?.services;
    if (!services) throw new Error(`no tenant ${tenant}`);
    const principal = await services.sessions.authenticate(await accessToken(pims));
    if (!principal) throw new Error("no session");
    return { services, login, accountId: principal.accountId };
  }

  it("a brand's composed insert … select (as the verification's statement is built) reads and writes that brand's rows only", async () => {
    // The attack: an owner's composed statement — a CTE over accounts, an insert … select into audit_events, a subquery in its select list — copies another brand's rows (its logins) into this brand's audit log, or writes a row into the other brand.
    const peugeot = await accountAt("peugeot", "peugeot-ios-0005");
    const opel = await accountAt("opel", "opel-android-0005");
    const db = peugeot.services.db;
    const columns = ["id", "at", "event", "outcome", "account_id", "device_id", "client_address", "detail"] as const;
    const copied = (source: "stolen" | "accounts", marker: string) =>
      db
        .with("stolen", (qc) => qc.selectFrom("accounts").select(["id", "login"]))
        .insertInto("audit_events")
        .columns([...columns])
        .expression((eb) =>
          eb.selectFrom(source).select((s) => [
            sql<string>`${marker} || ${s.ref(`${source}.id`)}`.as("id"),
            sql<number>`0`.as("at"),
            sql<string>`'account.create'`.as("event"),
            sql<string>`'success'`.as("outcome"),
            s.ref(`${source}.id`).as("account_id"),
            sql<null>`null`.as("device_id"),
            sql<null>`null`.as("client_address"),
            // The other brand's login, by a subquery on its account's id.
            s.selectFrom("accounts as other").select("other.login").where("other.id", "=", opel.accountId).as("detail"),
          ]),
        )
        .execute();
    await copied("stolen", "evt_red5a_");
    await copied("accounts", "evt_red5b_");
    const written = await db
      .selectFrom("audit_events")
      .select(["account_id", "detail"])
      .where("id", "like", "evt_red5%")
      .execute();
    // Peugeot's own accounts only, and the Opel login nowhere.
    expect(written.length).toBeGreaterThan(0);
    expect(written.some((row) => row.account_id === opel.accountId)).toBe(false);
    expect(written.every((row) => row.detail === null)).toBe(true);
    expect(written.some((row) => row.account_id === peugeot.accountId)).toBe(true);
    const atOpel = await opel.services.db
      .selectFrom("audit_events")
      .select("id")
      .where("id", "like", "evt_red5%")
      .execute();
    expect(atOpel).toEqual([]);
  });

  it("an insert … select that names tenant_id itself, or selects *, is refused", async () => {
    // The attack: the composed statement sets the tenant column from its select (another brand's id) or hides its columns behind select *.
    const peugeot = await accountAt("peugeot", "peugeot-ios-0005");
    const db = peugeot.services.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await expect(
      db
        .insertInto("audit_events")
        .columns(["id", "tenant_id"])
        .expression((eb) =>
          eb.selectFrom("accounts").select([sql<string>`'x'`.as("id"), sql<string>`'opel'`.as("tenant_id")]),
        )
        .execute(),
    ).rejects.toThrow(/tenant_id is the scope/);
    await expect(
      db
        .insertInto("audit_events")
        .columns(["id"])
        .expression((eb) => eb.selectFrom("audit_events").selectAll())
        .execute(),
    ).rejects.toThrow(/select \*/);
    expect(await db.selectFrom("audit_events").select("id").where("id", "=", "x").execute()).toEqual([]);
  });
});
