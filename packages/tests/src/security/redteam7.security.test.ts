import { createAccount, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore } from "@pims/sdk";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { type Answer, inOneTurn } from "../support/inOneTurn.js";
import { holdAccountLock } from "../support/locks.js";
import type { Recorded } from "../support/recordingFetch.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf } from "../support/steps.js";
import { storedDeviceId } from "../support/stores.js";

// Red team 7 (issue 14): attacks on the PostgreSQL verification batch (relyingParty/ConsumeBatch.ts,
// commit 8867b31): the valid verifications of one event-loop turn consumed by one statement, their
// values sent as array parameters and their results matched back by ordinality. A passing test is
// an attack refuted. The attacks run on every engine (the batch's promise is "the outcome it would
// get alone"); the ones about PostgreSQL's locks run on PostgreSQL only.

const MAX_FAILED = 3;
let server: TestServer;
let parties: { id: string; key: string }[];

beforeAll(async () => {
  server = await startTestServer({
    env: {
      PIMS_ADMIN_KEY: ADMIN_KEY,
      PIMS_RP_MAX_PER_MINUTE: "1000",
      PIMS_TRUST_PROXY_HOPS: "1",
      PIMS_OTP_MAX_FAILED_VERIFICATIONS: String(MAX_FAILED),
    },
  });
  parties = [await createRelyingParty(server.url, "redteam7-a"), await createRelyingParty(server.url, "redteam7-b")];
});
afterAll(() => server.close());

interface User {
  readonly accountId: string;
  readonly login: string;
  readonly deviceId: string;
  readonly token: string;
  readonly otps: string[];
}

/** An enrolled account with `count` live OTPs (bound to `context` when given). */
async function withOtps(count: number, context?: string, on: TestServer = server): Promise<User> {
  const store = memoryStore();
  const { pims, login } = await loggedInPims(on.url, store);
  const { pin } = await enrollWithShortcut(on.url, pims, "36925814");
  const otps: string[] = [];
  for (let i = 0; i < count; i++)
    otps.push(
      (
        expectSuccess(
          await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, ...(context ? { context } : {}) }),
        ) as { otp: string }
      ).otp,
    );
  return {
    accountId: await accountIdOf(on.server, pims),
    login,
    deviceId: await storedDeviceId(store),
    token: await accessToken(pims),
    otps,
  };
}

/** `count` users made a few at a time. */
async function users(count: number, on: TestServer = server): Promise<User[]> {
  const made: User[] = [];
  while (made.length < count)
    made.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(8, count - made.length) }, () => withOtps(1, undefined, on)),
      )),
    );
  return made;
}

const verification = (party: { key: string }, body: object, address?: string, on: TestServer = server): Recorded => ({
  url: `${on.url}/v1/rp/verify`,
  headers: {
    authorization: `Bearer ${party.key}`,
    "content-type": "application/json",
    ...(address !== undefined ? { "x-forwarded-for": address } : {}),
  },
  body: JSON.stringify(body),
});

type Verdict = { valid?: boolean; account?: { id: string; username: string }; device?: string };
const verdictOf = (answer: Answer | undefined) => answer?.body.result as Verdict | undefined;

/** Has the server look up each party's key, so that a turn's requests go on to their writes in that turn. */
async function warm(ofParties: readonly { key: string }[], on: TestServer = server) {
  await inOneTurn(
    on,
    ofParties.map((party) => verification(party, { account: "acc_warming_up", otp: "00000000" }, undefined, on)),
  );
}

/** The `otp.verify` rows of `accountId`. */
async function verifyRows(accountId: string, on: TestServer = server) {
  return (await on.server.services.audit.ofAccount(accountId, 1000))
    .filter((row) => row.event === "otp.verify")
    .map((row) => ({ ...row, detail: JSON.parse(String(row.detail ?? "{}")) as Record<string, unknown> }));
}

/** Each genuine verification answered with its own account, login and device, and audited once, as itself. */
async function expectOwnOutcomes(
  genuine: readonly { user: User; party: { id: string }; address: string }[],
  answers: readonly (Answer | undefined)[],
  since: number,
) {
  for (const [i, { user, party, address }] of genuine.entries()) {
    const verdict = verdictOf(answers[i]);
    expect(verdict, `verification ${i}`).toMatchObject({
      valid: true,
      account: { id: user.accountId, username: user.login },
      device: user.deviceId,
    });
    const rows = (await verifyRows(user.accountId)).filter((row) => row.outcome === "success");
    expect(rows, `audit of ${i}`).toHaveLength(1);
    const [row] = rows;
    expect(row?.device_id).toBe(user.deviceId);
    expect(row?.client_address).toBe(address);
    expect(row?.detail.relyingParty).toBe(party.id);
    expect(Number(row?.at)).toBeGreaterThanOrEqual(since);
    expect(Number(row?.at)).toBeLessThanOrEqual(Date.now());
  }
}

describe(`red team 7: the verification batch (${TEST_ENGINE})`, () => {
  it("array-literal syntax in account, context and client address is data: no junk consumes, each caller gets its own account, login, device and audit row", async () => {
    // The attack: strings the driver serializes into PostgreSQL array literals (quotes, backslashes, braces, commas, "NULL", non-BMP and lone surrogates, 256 characters, a list of two real ids) sent in one turn with genuine verifications, to split one element into two, turn one into NULL, fail the statement, or shift the ordinality that maps rows back to callers.
    const context = `","}{\\NULL😀' ,NULL`;
    const [a, b, c, d] = await users(4);
    const ctx = await withOtps(1, context);
    const [partyA, partyB] = parties as [{ id: string; key: string }, { id: string; key: string }];
    const A = a as User;
    const B = b as User;
    const hostileAccounts = [
      `${A.accountId}","${B.accountId}`,
      `{${A.accountId},${B.accountId}}`,
      `${A.accountId}"`,
      `"${A.accountId}`,
      `${A.accountId}\\`,
      "NULL",
      "null",
      '"NULL"',
      "{}",
      "\\",
      '"',
      `${A.accountId} `,
      A.accountId.toUpperCase(),
      `${A.accountId}😀`,
      `${A.accountId}\ud800`,
      "x".repeat(256),
    ];
    const hostileAddresses = ["NULL", '"', "\\", "{}", '{"x"}', 'a\\"b', "' or '1'='1", "127.0.0.1\\"];
    const genuine = [
      { user: A, party: partyA, address: "NULL", body: { account: A.accountId, otp: A.otps[0] } },
      { user: B, party: partyB, address: '{"10.0.0.2";NULL}', body: { account: B.accountId, otp: B.otps[0] } },
      {
        user: c as User,
        party: partyA,
        address: '\\"',
        body: { accessToken: (c as User).token, otp: (c as User).otps[0] },
      },
      {
        user: d as User,
        party: partyB,
        address: "2001:db8::1",
        body: { account: (d as User).accountId, otp: (d as User).otps[0] },
      },
      { user: ctx, party: partyA, address: "10.0.0.5", body: { account: ctx.accountId, otp: ctx.otps[0], context } },
    ];
    const junk = [
      ...hostileAccounts.map((account, i) =>
        verification(
          i % 2 ? partyA : partyB,
          { account, otp: i % 2 ? A.otps[0] : B.otps[0] },
          hostileAddresses[i % hostileAddresses.length],
        ),
      ),
      // The context OTP without its context, or with a look-alike: never valid.
      verification(partyB, { account: ctx.accountId, otp: ctx.otps[0] }, "NULL"),
      verification(
        partyB,
        { account: ctx.accountId, otp: ctx.otps[0], context: context.replace("\\", "\\\\") },
        "NULL",
      ),
    ];
    await warm(parties);
    const since = Date.now();
    // Junk first and last, genuine in the middle: an ordinality shift would hand a genuine result to junk.
    const half = Math.floor(junk.length / 2);
    const answers = await inOneTurn(server, [
      ...junk.slice(0, half),
      ...genuine.map((one) => verification(one.party, one.body, one.address)),
      ...junk.slice(half),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const junkAnswers = [...answers.slice(0, half), ...answers.slice(half + genuine.length)];
    expect(junkAnswers.map((answer) => verdictOf(answer)?.valid)).toEqual(junk.map(() => false));
    await expectOwnOutcomes(genuine, answers.slice(half, half + genuine.length), since);
  });

  it("more valid verifications in one turn than one statement takes (64): each answered and audited as itself", async () => {
    // The attack: a turn of 70 verifications by two parties, so the batch is cut at its limit mid-turn and a second one starts, where a reset of the pending list or of the account set could drop, duplicate or misroute a result.
    const many = await users(70);
    const [partyA, partyB] = parties as [{ id: string; key: string }, { id: string; key: string }];
    const genuine = many.map((user, i) => ({
      user,
      party: i % 3 ? partyA : partyB,
      address: `10.7.${Math.floor(i / 250)}.${i % 250}`,
      body: { account: user.accountId, otp: user.otps[0] },
    }));
    await warm(parties);
    const since = Date.now();
    const answers = await inOneTurn(
      server,
      genuine.map((one) => verification(one.party, one.body, one.address)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    await expectOwnOutcomes(genuine, answers, since);
    if (TEST_ENGINE === "postgres") {
      // They were batched (fewer transactions than verifications), never more than 64 to a statement.
      const rows = await server.server.services.db
        .selectFrom("audit_events")
        .select([sql<string>`xmin::text`.as("tx"), sql<number>`count(*)::int`.as("n")])
        .where(
          "account_id",
          "in",
          many.map((user) => user.accountId),
        )
        .where("event", "=", "otp.verify")
        .where("outcome", "=", "success")
        .groupBy(sql`xmin::text`)
        .execute();
      expect(rows.length).toBeLessThan(many.length);
      expect(Math.max(...rows.map((row) => row.n))).toBeLessThanOrEqual(64);
    }
  });

  it("the same account named twice in a turn (by id and by access token), with its OTP, a replay, and its OTP sent for another account: each OTP consumed once, by its own account, one success row each", async () => {
    // The attack: one account's OTP sent in one turn as `account` and as `accessToken` (two spellings of one account that must still be seen as the same) and a second OTP of the account, so the statement could match two inputs to one OTP row, or one input to two rows, and answer or audit twice.
    const user = await withOtps(2);
    const other = await withOtps(1);
    const [party] = parties as [{ id: string; key: string }];
    await warm([party]);
    const answers = await inOneTurn(server, [
      verification(party, { account: user.accountId, otp: user.otps[0] }, "10.1.1.1"),
      verification(party, { accessToken: user.token, otp: user.otps[0] }, "10.1.1.2"),
      verification(party, { account: other.accountId, otp: other.otps[0] }, "10.1.1.3"),
      verification(party, { accessToken: user.token, otp: user.otps[1] }, "10.1.1.4"),
      verification(party, { account: user.accountId, otp: user.otps[1] }, "10.1.1.5"),
      // One account's OTP sent for another real account in the same statement.
      verification(party, { account: other.accountId, otp: user.otps[0] }, "10.1.1.6"),
    ]);
    expect(verdictOf(answers[5])?.valid).toBe(false);
    const valid = answers.map((answer) => verdictOf(answer)?.valid);
    expect([valid[0], valid[1]].filter(Boolean)).toHaveLength(1);
    expect([valid[3], valid[4]].filter(Boolean)).toHaveLength(1);
    expect(valid[2]).toBe(true);
    for (const answer of answers.filter((one) => verdictOf(one)?.valid))
      expect(verdictOf(answer)?.account?.id).toBe(answer === answers[2] ? other.accountId : user.accountId);
    const rows = await verifyRows(user.accountId);
    const successes = rows.filter((row) => row.outcome === "success");
    expect(successes).toHaveLength(2);
    // Each success row is the address of the request that was told "valid".
    const told = [0, 1, 3, 4].filter((i) => valid[i]).map((i) => `10.1.1.${i + 1}`);
    expect(successes.map((row) => row.client_address).sort()).toEqual(told.sort());
    expect(rows.filter((row) => row.outcome === "failure")).toHaveLength(2);
    const ofOther = await verifyRows(other.accountId);
    expect(ofOther.filter((row) => row.outcome === "success").map((row) => row.client_address)).toEqual(["10.1.1.3"]);
    expect(ofOther.filter((row) => row.outcome === "failure").map((row) => row.client_address)).toEqual(["10.1.1.6"]);
  });

  it("the guessing limit is exact under batching: limit-1 wrong guesses in one turn leave the OTP valid, limit wrong guesses void it", async () => {
    // The attack: a guesser sends many wrong guesses for several accounts in one turn (batched together, a turn's second guess of an account alone), hoping the batch loses some counts (more guesses than the limit) or counts some twice (voiding a user's OTP early).
    const spared = await users(4);
    const voided = await users(4);
    const [party] = parties as [{ id: string; key: string }];
    // Wrong guesses: OTPs of the right length that differ from the user's.
    const guessesOf = (user: User, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const otp = user.otps[0] as string;
        const guess = String((Number(otp) + i + 1) % 10 ** otp.length).padStart(otp.length, "0");
        return verification(party, { account: user.accountId, otp: guess });
      });
    await warm([party]);
    const guesses = [
      ...spared.flatMap((user) => guessesOf(user, MAX_FAILED - 1)),
      ...voided.flatMap((user) => guessesOf(user, MAX_FAILED)),
    ];
    const answers = await inOneTurn(server, guesses);
    expect(answers.map((answer) => verdictOf(answer)?.valid)).toEqual(guesses.map(() => false));
    const finals = await inOneTurn(server, [
      ...spared.map((user) => verification(party, { account: user.accountId, otp: user.otps[0] })),
      ...voided.map((user) => verification(party, { account: user.accountId, otp: user.otps[0] })),
    ]);
    expect(finals.map((answer) => verdictOf(answer)?.valid)).toEqual([
      ...spared.map(() => true),
      ...voided.map(() => false),
    ]);
    for (const user of voided) {
      const rows = await verifyRows(user.accountId);
      // Every guess audited once; the limit's guess says it voided the OTP, once.
      expect(rows.filter((row) => row.outcome === "failure")).toHaveLength(MAX_FAILED + 1);
      expect(rows.filter((row) => row.detail.voided === 1)).toHaveLength(1);
      expect(rows.filter((row) => row.outcome === "success")).toHaveLength(0);
    }
    for (const user of spared) {
      const rows = await verifyRows(user.accountId);
      expect(rows.filter((row) => row.outcome === "failure")).toHaveLength(MAX_FAILED - 1);
      expect(rows.filter((row) => row.outcome === "success")).toHaveLength(1);
    }
  });

  it.runIf(TEST_ENGINE === "postgres")(
    "an OTP whose device is disabled while its account is locked, batched with others, is refused; the others are not held up",
    async () => {
      // The attack: decision 0029's race on the batch — an account's lock is held (a PIN attempt) while its device is disabled without its OTP being revoked (the issue that escaped revocation); the batch skips the locked account, and the fallback must read the device afresh, not the statement's snapshot.
      const [held, ...others] = (await users(4)) as [User, User, User, User];
      const [party] = parties as [{ id: string; key: string }];
      const { release } = await holdAccountLock(server, held.accountId);
      const client = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`set search_path to "${server.server.services.config.databaseSchema}"`);
        await warm([party]);
        await client.query("begin");
        await client.query("update devices set status = 'disabled' where id = $1", [held.deviceId]);
        const pending = inOneTurn(
          server,
          [held, ...others].map((user) => verification(party, { account: user.accountId, otp: user.otps[0] })),
        );
        // The others are consumed while the held account's lock is still held.
        for (let waited = 0; ; waited += 20) {
          const done = await Promise.all(others.map(async (user) => (await verifyRows(user.accountId)).length));
          if (done.every((count) => count === 1)) break;
          expect(waited).toBeLessThan(5_000);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query("commit");
        await release();
        expect((await pending).map((answer) => verdictOf(answer)?.valid)).toEqual([false, true, true, true]);
        expect((await verifyRows(held.accountId)).map((row) => row.outcome)).toEqual(["failure"]);
      } finally {
        await release();
        await client.end();
      }
    },
  );
});

describe(`red team 7: the party's limit under batching (${TEST_ENGINE})`, () => {
  const LIMIT = 12;
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(() => limited.close());

  it("one party past its limit in a turn is refused exactly past it, and another party's valid verifications in that turn are not", async () => {
    // The attack: a party floods one turn with junk and valid verifications beyond its per-minute limit, hoping batching lets more than the limit through (or refuses fewer), and that its junk spoils or slows the other party's verifications sharing the batch.
    const noisy = await createRelyingParty(limited.url, "redteam7-noisy");
    const quiet = await createRelyingParty(limited.url, "redteam7-quiet");
    const noisyUsers = await users(6, limited);
    const quietUsers = await users(4, limited);
    // The warm-up spends one of each party's limit.
    await warm([noisy, quiet], limited);
    const flood = [
      ...noisyUsers.map((user) =>
        verification(noisy, { account: user.accountId, otp: user.otps[0] }, undefined, limited),
      ),
      ...Array.from({ length: 14 }, (_, i) =>
        verification(noisy, { account: `acc_junk_${i}","x`, otp: "12345678" }, undefined, limited),
      ),
    ];
    const quietOnes = quietUsers.map((user) =>
      verification(quiet, { account: user.accountId, otp: user.otps[0] }, undefined, limited),
    );
    const answers = await inOneTurn(limited, [...flood.slice(0, 10), ...quietOnes, ...flood.slice(10)]);
    const quietAnswers = answers.slice(10, 10 + quietOnes.length);
    const floodAnswers = [...answers.slice(0, 10), ...answers.slice(10 + quietOnes.length)];
    expect(quietAnswers.map((answer) => verdictOf(answer)?.valid)).toEqual(quietOnes.map(() => true));
    // Exactly LIMIT - 1 of the flood were let through (the warm-up spent one), the rest refused.
    expect(floodAnswers.filter((answer) => answer.status === 200)).toHaveLength(LIMIT - 1);
    const refused = floodAnswers.filter((answer) => answer.status !== 200);
    expect(refused).toHaveLength(flood.length - (LIMIT - 1));
    for (const answer of refused) expect(answer.body.error?.code).toBe(2383);
    // Each valid answer of the flood is audited once, as itself.
    for (const [i, user] of noisyUsers.entries()) {
      const rows = (await verifyRows(user.accountId, limited)).filter((row) => row.outcome === "success");
      expect(rows).toHaveLength(verdictOf(floodAnswers[i])?.valid ? 1 : 0);
      if (verdictOf(floodAnswers[i])?.valid) expect(verdictOf(floodAnswers[i])?.account?.id).toBe(user.accountId);
    }
  });
});

describe(`red team 7: two brands in one turn (${TEST_ENGINE})`, () => {
  const PEUGEOT = "rt7-peugeot-ios-01";
  const OPEL = "rt7-opel-android-01";
  let brands: TestServer;
  beforeAll(async () => {
    brands = await startTestServer({
      env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: "1000" },
      tenants: [
        { id: "peugeot", name: "Peugeot", apps: [{ clientId: PEUGEOT, name: "Peugeot iOS" }] },
        { id: "opel", name: "Opel", apps: [{ clientId: OPEL, name: "Opel Android" }] },
      ],
    });
  });
  afterAll(() => brands.close());

  async function partyOf(tenant: string): Promise<{ id: string; key: string }> {
    const response = await fetch(`${brands.url}/v1/admin/relying-parties?tenant=${tenant}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `${tenant}-rt7` }),
    });
    return ((await response.json()) as { result: { id: string; key: string } }).result;
  }

  async function brandUser(clientId: string, tenant: string) {
    const pims = createPims();
    expectSuccess(await pims.initialize({ serverUrl: brands.url, store: memoryStore(), credential: { clientId } }));
    const login = `rt7-${Math.random().toString(36).slice(2, 10)}@example.com`;
    expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a-long-password-7" }));
    const { pin } = await enrollWithShortcut(brands.url, pims, "36925814");
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const token = await accessToken(pims);
    const accountId = (await brands.server.tenants.get(tenant)?.services.sessions.authenticate(token))?.accountId;
    if (!accountId) throw new Error("no account");
    return { accountId, login, otp, token, tenant };
  }

  it("a brand's party naming the other brand's account, in the same turn as that brand's own valid verification, gets nothing and takes nothing", async () => {
    // The attack: Opel's relying party sends, in the same turn as Peugeot's genuine verifications, Peugeot users' account ids and OTPs (and the reverse), hoping the brands' verifications share one statement whose tenant scope or ordinality mapping lets one brand consume or read the other's.
    const peugeot = await partyOf("peugeot");
    const opel = await partyOf("opel");
    const p1 = await brandUser(PEUGEOT, "peugeot");
    const p2 = await brandUser(PEUGEOT, "peugeot");
    const o1 = await brandUser(OPEL, "opel");
    const at = (party: { key: string }, body: object) => verification(party, body, undefined, brands);
    await warm([peugeot, opel], brands);
    const answers = await inOneTurn(brands, [
      at(opel, { account: p1.accountId, otp: p1.otp }),
      at(opel, { accessToken: p2.token, otp: p2.otp }),
      at(peugeot, { account: o1.accountId, otp: o1.otp }),
      at(peugeot, { account: p1.accountId, otp: p1.otp }),
      at(peugeot, { accessToken: p2.token, otp: p2.otp }),
      at(opel, { account: o1.accountId, otp: o1.otp }),
      at(opel, { account: p2.accountId, otp: p2.otp }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.map((answer) => verdictOf(answer)?.valid)).toEqual([false, false, false, true, true, true, false]);
    expect(answers.map((answer) => verdictOf(answer)?.account?.username)).toEqual([
      undefined,
      undefined,
      undefined,
      p1.login,
      p2.login,
      o1.login,
      undefined,
    ]);
    // Each success audited once, in its own brand, naming its own brand's party.
    for (const [user, party] of [
      [p1, peugeot],
      [p2, peugeot],
      [o1, opel],
    ] as const) {
      const rows = (await brands.server.tenants.get(user.tenant)?.services.audit.ofAccount(user.accountId, 100)) ?? [];
      const successes = rows.filter((row) => row.event === "otp.verify" && row.outcome === "success");
      expect(successes).toHaveLength(1);
      expect(JSON.parse(String(successes[0]?.detail)).relyingParty).toBe(party.id);
    }
  });
});

describe(`red team 7: a batch never waits (${TEST_ENGINE})`, () => {
  it.runIf(TEST_ENGINE === "postgres")(
    "a batch does not wait on one member's held OTP row: the others are answered at once, the held one alone and afresh",
    async () => {
      // The attack: B's OTP row is held by another transaction (a revocation takes OTP rows) while B
      // and A are verified in one turn. A batch that waited on B's row would read A's device as it
      // was before the wait, so a device disabled and acknowledged meanwhile would not stop A's OTP
      // (found on 8867b31). The batch must skip a held row: A is consumed at once, with no
      // statement of the batch waiting on a lock, and B goes the transaction's way, which waits
      // for the row and reads afresh.
      const [b, a] = (await users(2)) as [User, User];
      const [party] = parties as [{ id: string; key: string }];
      const holder = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
      const admin = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
      await holder.connect();
      await admin.connect();
      const schema = `set search_path to "${server.server.services.config.databaseSchema}"`;
      const batchWaiting = async () => {
        const { rows } = await admin.query(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%unnest%'",
        );
        return (rows[0] as { n: number }).n > 0;
      };
      try {
        await holder.query(schema);
        await admin.query(schema);
        await warm([party]);
        await holder.query("begin");
        await holder.query("select id from otps where account_id = $1 for update", [b.accountId]);
        const pending = inOneTurn(server, [
          verification(party, { account: b.accountId, otp: b.otps[0] }),
          verification(party, { account: a.accountId, otp: a.otps[0] }),
        ]);
        // A is consumed and audited while B's row is still held, and no batch waits on a lock.
        for (let waited = 0; ; waited += 20) {
          expect(await batchWaiting()).toBe(false);
          const rows = await verifyRows(a.accountId);
          if (rows.some((row) => row.outcome === "success")) break;
          expect(waited).toBeLessThan(5_000);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect((await verifyRows(b.accountId)).filter((row) => row.outcome === "success")).toHaveLength(0);
        await holder.query("rollback");
        const [atB, atA] = await pending;
        expect(verdictOf(atA)?.valid).toBe(true);
        expect(verdictOf(atB)?.valid).toBe(true);
      } finally {
        await holder.query("rollback").catch(() => undefined);
        await holder.end();
        await admin.end();
      }
    },
  );
});
