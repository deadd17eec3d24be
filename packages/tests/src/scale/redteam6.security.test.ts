import { createAccount, errorBody, otpWithoutPin, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess } from "../support/facade.js";
import { type Answer, inOneTurn } from "../support/inOneTurn.js";
import { holdingFetch, type Recorded, replay } from "../support/recordingFetch.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { type Spawned, spawnInRepository } from "../support/spawnPims.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf } from "../support/steps.js";

// Red team 6 (issue 14): attacks on SQLite's group commit (db/GroupCommit.ts, a1bfaa3), where the
// transactions asked for in one turn of the event loop share one BEGIN IMMEDIATE … COMMIT, each in
// its own savepoint. SQLite only (so in scale/, which runs on SQLite): PostgreSQL commits each
// transaction on its own.
//
// How a test puts requests in one group: the server runs in this process, so the test writes every
// request to its own connected socket and then holds the event loop (Atomics.wait); when the loop
// resumes, the server reads them all in one poll phase, each handler runs to its transaction on
// microtasks (better-sqlite3 answers synchronously), and the flush (setImmediate) finds them all
// queued. The first test shows that they did share a commit.

const RP_LIMIT = 40;
let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: String(RP_LIMIT) } });
});
afterAll(() => server.close());
// A party of its own for each test: its per-minute limit is not what the others are about.
beforeEach(async () => {
  rp = await createRelyingParty(server.url, "redteam6-rp");
});

/** Sends `requests` so that the server reads them all in one turn of its event loop. */
const together = (requests: readonly Recorded[]) => inOneTurn(server, requests);

let counter = 0;

/** An enrolled user (of `on`, in the brand of `clientId`) whose signed requests the test can record instead of sending. */
async function user(on: TestServer = server, clientId?: string) {
  const wire = holdingFetch();
  const pims: Pims = createPims();
  expectSuccess(
    await pims.initialize({
      serverUrl: on.url,
      store: memoryStore(),
      fetch: wire.fetch,
      ...(clientId ? { credential: { clientId } } : {}),
    }),
  );
  const login = `red6-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a-long-password-1" }));
  const { pin } = await enrollWithShortcut(on.url, pims);
  const accountId = clientId ? idOfLogin(on, login) : await accountIdOf(on.server, pims);
  /** A signed request of this user's device, recorded and not delivered. */
  const signed = (send: (pims: Pims) => Promise<unknown>) => wire.held(() => send(pims));
  return {
    pims,
    pin,
    accountId,
    s16: () => signed((p) => p.get(otpWithoutPin.api, { action: "withoutPIN" })),
    s15: (pinCode: string) => signed((p) => p.get(otpWithPin.api, { action: "withPIN", pinCode })),
  };
}

type User = Awaited<ReturnType<typeof user>>;

/** Runs `statements` on the server's database file from a connection of the test's own. */
function onDatabase(statements: readonly string[], on: TestServer = server): void {
  const db = new Database(on.databasePath);
  try {
    for (const statement of statements) db.exec(statement);
  } finally {
    db.close();
  }
}

function read(on: TestServer, query: string, ...args: unknown[]): unknown {
  const db = new Database(on.databasePath, { readonly: true });
  try {
    return db.prepare(query).get(...args);
  } finally {
    db.close();
  }
}

const count = (query: string, ...args: unknown[]) => Number((read(server, query, ...args) as { n: number }).n);
const idOfLogin = (on: TestServer, login: string) =>
  (read(on, "select id from accounts where login = ?", login) as { id: string }).id;

const otpRows = (accountId: string, on = server) =>
  Number((read(on, "select count(*) as n from otps where account_id = ?", accountId) as { n: number }).n);
const auditRows = (accountId: string, event: string, outcome?: string) =>
  count(
    `select count(*) as n from audit_events where account_id = ? and event = ?${outcome ? " and outcome = ?" : ""}`,
    accountId,
    event,
    ...(outcome ? [outcome] : []),
  );
const pinFailures = (accountId: string) => count("select pin_failures as n from accounts where id = ?", accountId);

/** A 2204 exactly as the catalogue words it: no message, cause or stack of the database error. */
function expectServerError(answer: Answer): void {
  expect(answer.status).toBe(500);
  expect(answer.body).toEqual({ status: "FAILED", error: errorBody(2204) });
  expect(answer.text).not.toMatch(/savepoint|constraint|rollback|redteam6|SqliteError|\bat \S+:\d+/i);
}

/**
 * A victim's S16 answer says what was kept: SUCCEEDED, its OTP verifies once and its issue is
 * audited once; failed (2204), nothing of it is kept — no OTP, no audit row written behind the
 * group's back. True when it succeeded.
 */
async function answeredAsKept(answer: Answer, victim: User): Promise<boolean> {
  if (answer.body.status === "SUCCEEDED") {
    expect(await verifiesOnce(answer, victim)).toBe(true);
    expect(auditRows(victim.accountId, "otp.issue")).toBe(1);
    return true;
  }
  expectServerError(answer);
  expect(otpRows(victim.accountId)).toBe(0);
  expect(auditRows(victim.accountId, "otp.issue")).toBe(0);
  return false;
}

/** The OTP an S16 answer carries, verified by the relying party: valid only if it was durable. */
async function verifiesOnce(answer: Answer, who: User): Promise<boolean> {
  const otp = (answer.body.result as { otp: string }).otp;
  const verified = await verifyOtp(server.url, rp.key, { otp, account: who.accountId });
  return verified.body.result?.valid === true;
}

/** A fault in one account's statements: `action` runs before each insert of its rows into `table`. */
const POISON = (accountId: string, action: string, table = "otps", also = "") =>
  `create trigger redteam6_poison before insert on ${table} when new.account_id = '${accountId}'${also} begin ${action}; end`;
const CURE = ["drop trigger if exists redteam6_poison"];
/**
 * Makes the commit of whatever transaction writes one of the account's OTPs fail: a row pointing
 * at no parent, checked only at the commit (a deferred foreign key), as a disk fault would.
 */
const BREAK_COMMIT = (accountId: string) => [
  "create table redteam6_parent (id text primary key)",
  "create table redteam6_child (parent_id text references redteam6_parent (id) deferrable initially deferred)",
  POISON(accountId, "insert into redteam6_child values ('none')"),
];
const MEND_COMMIT = [...CURE, "drop table redteam6_child", "drop table redteam6_parent"];

describe("SQLite group commit", () => {
  it("a request whose part breaks the shared COMMIT fails its whole group with 2204 in the message shape; nothing is acknowledged that did not commit, and none of the failed requests can be replayed later", async () => {
    // The attack: one user's request leaves the shared transaction unable to commit (a deferred constraint, as a disk fault would), hoping the others of its group are told SUCCEEDED for writes that vanished, or get a stack trace, or can be replayed once the fault is gone.
    const attacker = await user();
    const victims = await Promise.all([user(), user(), user(), user()]);
    onDatabase(BREAK_COMMIT(attacker.accountId));
    let answers: Answer[];
    const requests = [await attacker.s16(), ...(await Promise.all(victims.map((v) => v.s16())))];
    try {
      answers = await together(requests);
    } finally {
      onDatabase(MEND_COMMIT);
    }
    const [attackerAnswer, ...victimAnswers] = answers;
    expectServerError(attackerAnswer as Answer);
    expect(otpRows(attacker.accountId)).toBe(0);
    let failedVictims = 0;
    for (const [i, answer] of victimAnswers.entries()) {
      if (!(await answeredAsKept(answer, victims[i] as User))) failedVictims++;
    }
    // They did share the attacker's commit (a serial order would have committed each victim).
    expect(failedVictims).toBeGreaterThan(0);
    // The fault gone, the answered requests stay answered: a replay is refused (2311).
    for (const request of requests) expect((await replay(request)).body.error?.code).toBe(2311);
    // And the server commits again: every victim gets an OTP that verifies.
    for (const victim of victims) {
      const otp = (expectSuccess(await victim.pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string })
        .otp;
      expect((await verifyOtp(server.url, rp.key, { otp, account: victim.accountId })).body.result?.valid).toBe(true);
    }
  });

  it("a request whose statement fails inside the group is undone alone: the others of its group commit, each with its one audit row, and the failed one leaves nothing and cannot be replayed", async () => {
    // The attack: one user's request fails at its last statement (the audit row of its OTP, after its nonce, its PIN check and its OTP were written) in the middle of a group, hoping the rollback to its savepoint takes others' writes or audit rows with it, or keeps some of its own (an OTP, a PIN proof, an unspent nonce).
    const attacker = await user();
    const victims = await Promise.all([user(), user(), user()]);
    onDatabase([
      POISON(attacker.accountId, "select raise(abort, 'redteam6')", "audit_events", " and new.event = 'otp.issue'"),
    ]);
    const attackerRequest = await attacker.s15(attacker.pin);
    const requests = [
      ...(await Promise.all(victims.map((v) => v.s16()))),
      attackerRequest,
      ...(await Promise.all(victims.map((v) => v.s15("11112222")))),
    ];
    let answers: Answer[];
    try {
      answers = await together(requests);
    } finally {
      onDatabase(CURE);
    }
    const byVictim = victims.map((_, i) => answers[i] as Answer);
    expectServerError(answers[victims.length] as Answer);
    for (const [i, victim] of victims.entries()) {
      expect((byVictim[i] as Answer).body.status).toBe("SUCCEEDED");
      expect(await verifiesOnce(byVictim[i] as Answer, victim)).toBe(true);
      expect(auditRows(victim.accountId, "otp.issue")).toBe(1);
      // The wrong PIN of the same group: refused, counted once, audited once.
      expect((answers[victims.length + 1 + i] as Answer).body.error?.code).toBe(2308);
      expect(pinFailures(victim.accountId)).toBe(1);
      expect(auditRows(victim.accountId, "pin.check", "failure")).toBe(1);
    }
    expect(otpRows(attacker.accountId)).toBe(0);
    expect(auditRows(attacker.accountId, "otp.issue")).toBe(0);
    // Its PIN check left no proof for a phone change (S9) without the PIN.
    expect(
      count("select count(*) as n from devices where account_id = ? and pin_proven_at is not null", attacker.accountId),
    ).toBe(0);
    expect((await replay(attackerRequest)).body.error?.code).toBe(2311);
  });

  it("a request that makes SQLite roll back the whole transaction (not just its savepoint) fails the group: no one is told SUCCEEDED for writes SQLite undid, and no one after it writes outside the group's transaction", async () => {
    // The attack: one user's statement fails with an error SQLite answers by rolling back the entire transaction (RAISE(ROLLBACK) here; SQLITE_FULL or an I/O error do the same), so the savepoint the group rolls back to is gone: the group might go on in autocommit (a SAVEPOINT outside a transaction starts one, its RELEASE commits it), or answer those before it as committed.
    const attacker = await user();
    const victims = await Promise.all(Array.from({ length: 6 }, () => user()));
    onDatabase([POISON(attacker.accountId, "select raise(rollback, 'redteam6')")]);
    const signed = await Promise.all(victims.map((v) => v.s16()));
    // Three before the attacker's request, three after it.
    const requests = [...signed.slice(0, 3), await attacker.s16(), ...signed.slice(3)];
    let answers: Answer[];
    try {
      answers = await together(requests);
    } finally {
      onDatabase(CURE);
    }
    expectServerError(answers[3] as Answer);
    expect(otpRows(attacker.accountId)).toBe(0);
    const victimAnswers = [...answers.slice(0, 3), ...answers.slice(4)];
    let failed = 0;
    for (const [i, answer] of victimAnswers.entries()) {
      if (!(await answeredAsKept(answer, victims[i] as User))) failed++;
    }
    // They did share the attacker's transaction (alone, each would have committed).
    expect(failed).toBeGreaterThan(0);
    for (const request of requests) expect((await replay(request)).body.error?.code).toBe(2311);
    // The connection is in a transaction of its own again: the next requests commit.
    for (const victim of victims) expectSuccess(await victim.pims.get(otpWithoutPin.api, { action: "withoutPIN" }));
  });
});

describe("the size of a group", () => {
  it("one poisoned request among 150 read in one turn takes down at most its group (64), not everything queued with it", async () => {
    // The attack: a flood of requests with one whose commit fails, hoping the whole backlog shares its transaction, so that one fault (or one slow work) fails or stalls every request queued behind it rather than at most the group's bound.
    const attacker = await user();
    const victims = await Promise.all(Array.from({ length: 5 }, () => user()));
    onDatabase(BREAK_COMMIT(attacker.accountId));
    const requests: Recorded[] = [];
    const owners: User[] = [];
    for (let i = 0; i < 150; i++) {
      const victim = victims[i % victims.length] as User;
      requests.push(await victim.s16());
      owners.push(victim);
    }
    requests.splice(75, 0, await attacker.s16());
    let answers: Answer[];
    try {
      answers = await together(requests);
    } finally {
      onDatabase(MEND_COMMIT);
    }
    const [poisoned] = answers.splice(75, 1);
    expectServerError(poisoned as Answer);
    const failed = answers.filter((a) => a.body.status !== "SUCCEEDED");
    for (const answer of failed) expectServerError(answer);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(63);
    // What succeeded is what committed: each victim has an OTP for each SUCCEEDED, none for a 2204.
    for (const victim of victims) {
      const succeeded = answers.filter((a, i) => owners[i] === victim && a.body.status === "SUCCEEDED").length;
      expect(otpRows(victim.accountId)).toBe(succeeded);
      expect(auditRows(victim.accountId, "otp.issue")).toBe(succeeded);
    }
  });
});

describe("limits inside one group", () => {
  it("twelve wrong PINs of one account in one group: exactly five compared (2308), the rest 2310, one block audited", async () => {
    // The attack: the holder of a device sends many wrong PINs at once, so that they run in one shared transaction, hoping the savepoints let more than N reservations through.
    const victim = await user();
    const requests: Recorded[] = [];
    for (let i = 0; i < 12; i++) requests.push(await victim.s15(String(30_000_000 + i)));
    const answers = await together(requests);
    const codes = answers.map((a) => a.body.error?.code);
    expect(codes.filter((c) => c === 2308)).toHaveLength(5);
    expect(codes.filter((c) => c === 2310)).toHaveLength(7);
    expect(pinFailures(victim.accountId)).toBe(5);
    expect(auditRows(victim.accountId, "pin.check", "failure")).toBe(5);
    expect(auditRows(victim.accountId, "account.block")).toBe(1);
  });

  it("copies of one signed S15 in one group: one answered, the others 2311; a wrong PIN's copies count one attempt", async () => {
    // The attack: an eavesdropper sends copies of a recorded S15 so that they share one transaction, where the nonce's insert of the first is not yet committed, hoping a copy slips past it.
    const victim = await user();
    const right = await victim.s15(victim.pin);
    const rightAnswers = await together(Array.from({ length: 6 }, () => right));
    expect(rightAnswers.filter((a) => a.body.status === "SUCCEEDED")).toHaveLength(1);
    expect(rightAnswers.filter((a) => a.body.error?.code === 2311)).toHaveLength(5);
    expect(otpRows(victim.accountId)).toBe(1);
    const wrong = await victim.s15("11112222");
    const wrongAnswers = await together(Array.from({ length: 6 }, () => wrong));
    expect(wrongAnswers.filter((a) => a.body.error?.code === 2308)).toHaveLength(1);
    expect(wrongAnswers.filter((a) => a.body.error?.code === 2311)).toHaveLength(5);
    expect(pinFailures(victim.accountId)).toBe(1);
  });

  it("the relying party's per-minute limit is exact for verifications sharing one group", async () => {
    // The attack: a relying party (or its stolen key) sends a burst of verifications that run in one shared transaction, hoping the limit's counter, written in each one's savepoint, lets more than the limit through.
    const party = await createRelyingParty(server.url, "redteam6-limit");
    const victim = await user();
    const token = await accessToken(victim.pims);
    const verification = (otp: string): Recorded => ({
      url: `${server.url}/v1/rp/verify`,
      headers: { authorization: `Bearer ${party.key}`, "content-type": "application/json" },
      body: JSON.stringify({ otp, accessToken: token }),
    });
    const answers = await together(
      Array.from({ length: RP_LIMIT + 6 }, (_, i) => verification(String(50_000_000 + i))),
    );
    expect(answers.filter((a) => a.body.status === "SUCCEEDED")).toHaveLength(RP_LIMIT);
    expect(answers.filter((a) => a.body.error?.code === 2383)).toHaveLength(6);
    expect(auditRows(victim.accountId, "otp.verify", "failure")).toBe(RP_LIMIT);
  });

  it("wrong guesses at a live OTP in one group: nine leave it valid, ten void it", async () => {
    // The attack: guesses at a user's live OTP sent at once share one transaction; each counts in its savepoint, and the attacker hopes a guess's count is lost (more guesses) or the user's OTP voided early.
    const victim = await user();
    const token = await accessToken(victim.pims);
    const guesses = (otp: string, n: number): Recorded[] =>
      Array.from({ length: n }, (_, i) => String(60_000_000 + i))
        .map((g) => (g === otp ? "60000099" : g))
        .map((g) => ({
          url: `${server.url}/v1/rp/verify`,
          headers: { authorization: `Bearer ${rp.key}`, "content-type": "application/json" },
          body: JSON.stringify({ otp: g, accessToken: token }),
        }));
    const issue = async () =>
      (expectSuccess(await victim.pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string }).otp;
    const first = await issue();
    expect((await together(guesses(first, 9))).every((a) => a.body.result !== undefined)).toBe(true);
    expect((await verifyOtp(server.url, rp.key, { otp: first, accessToken: token })).body.result?.valid).toBe(true);
    const second = await issue();
    await together(guesses(second, 10));
    expect((await verifyOtp(server.url, rp.key, { otp: second, accessToken: token })).body.result?.valid).toBe(false);
    // The user's next OTP is not locked out by the guesses.
    expect((await verifyOtp(server.url, rp.key, { otp: await issue(), accessToken: token })).body.result?.valid).toBe(
      true,
    );
  });
});

describe("groups and tenants", () => {
  const ALPHA = "alpha-ios-000001";
  const BETA = "beta-android-0001";
  let brands: TestServer;
  beforeAll(async () => {
    brands = await startTestServer({
      tenants: [
        { id: "alpha", name: "Alpha", apps: [{ clientId: ALPHA, name: "Alpha iOS" }] },
        { id: "beta", name: "Beta", apps: [{ clientId: BETA, name: "Beta Android" }] },
      ],
    });
  });
  afterAll(() => brands.close());

  it("a brand's request that breaks its group's commit fails its own brand's group only: another brand's requests read in the same turn commit", async () => {
    // The attack: a user of one brand poisons the commit of the transaction its request shares, hoping the requests of another brand's users, arriving in the same turn, go down with it (one brand's fault becoming another's outage or lost writes).
    const attacker = await user(brands, ALPHA);
    const neighbour = await user(brands, ALPHA);
    const others = await Promise.all([user(brands, BETA), user(brands, BETA), user(brands, BETA)]);
    onDatabase(BREAK_COMMIT(attacker.accountId), brands);
    const otps = (who: User) => otpRows(who.accountId, brands);
    let answers: Answer[];
    try {
      const requests = [await attacker.s16(), ...(await Promise.all([neighbour, ...others].map((u) => u.s16())))];
      answers = await together(requests);
    } finally {
      onDatabase(MEND_COMMIT, brands);
    }
    expectServerError(answers[0] as Answer);
    // The attacker's brand: its neighbour shared the commit (so the requests were read together).
    expectServerError(answers[1] as Answer);
    expect(otps(neighbour)).toBe(0);
    for (const [i, other] of others.entries()) {
      expect((answers[i + 2] as Answer).body.status).toBe("SUCCEEDED");
      expect(otps(other)).toBe(1);
    }
  });
});

describe("two processes on one file", () => {
  let other: Spawned;
  let otherUrl: string;
  beforeAll(async () => {
    // A second `pims serve` on this suite's database file, with its secret key.
    other = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], {
      PIMS_DATA_DIR: server.dataDir,
      PIMS_SECRET_KEY: server.secretKey,
      PIMS_ADMIN_KEY: ADMIN_KEY,
      PIMS_PORT: "0",
      PIMS_MODE: "development",
      PIMS_LOG_LEVEL: "info",
    });
    otherUrl = await other.listening;
  }, 60_000);
  afterAll(() => other?.stop());

  /** The same request, addressed to the second process. */
  const toOther = (request: Recorded): Recorded => ({
    ...request,
    url: `${otherUrl}${new URL(request.url).pathname}`,
  });

  it("copies of one signed S15, one group's worth to each process at once: one answered, one PIN attempt; twelve wrong PINs over both: five compared", async () => {
    // The attack: the eavesdropper sends copies of a recorded S15 to two processes sharing the file, each batching its copies in one group (BEGIN IMMEDIATE … COMMIT), hoping each group's uncommitted nonce is invisible to the other's so that both answer; and the holder of the device spreads wrong PINs over both for more than five guesses.
    const victim = await user();
    const right = await victim.s15(victim.pin);
    const copies = await together([
      ...Array.from({ length: 6 }, () => right),
      ...Array.from({ length: 6 }, () => toOther(right)),
    ]);
    expect(copies.filter((a) => a.body.status === "SUCCEEDED")).toHaveLength(1);
    expect(copies.filter((a) => a.body.error?.code === 2311)).toHaveLength(11);
    expect(otpRows(victim.accountId)).toBe(1);
    const wrong: Recorded[] = [];
    for (let i = 0; i < 12; i++) {
      const request = await victim.s15(String(70_000_000 + i));
      wrong.push(i % 2 === 0 ? request : toOther(request));
    }
    const codes = (await together(wrong)).map((a) => a.body.error?.code);
    expect(codes.filter((c) => c === 2308)).toHaveLength(5);
    expect(codes.filter((c) => c === 2310)).toHaveLength(7);
    expect(pinFailures(victim.accountId)).toBe(5);
    expect(auditRows(victim.accountId, "pin.check", "failure")).toBe(5);
  });

  it("a poisoned group in one process fails none of the other process's requests, and no one is told SUCCEEDED for what did not commit", async () => {
    // The attack: one user's request breaks the commit of its group in one process while the other process writes to the same file, hoping the failure spills over (a lock left held, the other's writes undone) or the other's answers stop matching what committed.
    const attacker = await user();
    const victims = await Promise.all([user(), user(), user()]);
    onDatabase(BREAK_COMMIT(attacker.accountId));
    let answers: Answer[];
    const here = await Promise.all(victims.map((v) => v.s16()));
    const there = await Promise.all(victims.map(async (v) => toOther(await v.s16())));
    try {
      answers = await together([await attacker.s16(), ...here, ...there]);
    } finally {
      onDatabase(MEND_COMMIT);
    }
    expectServerError(answers[0] as Answer);
    for (const [i, victim] of victims.entries()) {
      const inThisProcess = answers[1 + i] as Answer;
      const inTheOther = answers[1 + victims.length + i] as Answer;
      // The other process's request committed whatever this one's group did.
      expect(inTheOther.body.status).toBe("SUCCEEDED");
      expect(otpRows(victim.accountId)).toBe(inThisProcess.body.status === "SUCCEEDED" ? 2 : 1);
      if (inThisProcess.body.status !== "SUCCEEDED") expectServerError(inThisProcess);
    }
  });
});
