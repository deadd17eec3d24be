import { otpWithPin } from "@pims/protocol";
import { openDatabase } from "@pims/server";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { inOneTurn } from "../support/inOneTurn.js";
import { withAuditRefused } from "../support/onDatabase.js";
import type { Recorded } from "../support/recordingFetch.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accountIdOf } from "../support/steps.js";

// The verifications that arrive in one turn of the server's event loop are written together
// (issue 14): on SQLite in one commit, each in its own savepoint (decision 0030); on PostgreSQL by
// one statement (relyingParty/ConsumeBatch.ts, decision 0031). Whoever shares the turn, each
// request must get the outcome it would get alone, with its own audit row.

let server: TestServer;
let parties: { id: string; key: string }[];

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_RP_MAX_PER_MINUTE: "1000" } });
  parties = [await createRelyingParty(server.url, "together-a"), await createRelyingParty(server.url, "together-b")];
});
afterAll(() => server.close());

type User = Awaited<ReturnType<typeof withOtps>>;

/** An enrolled account with `count` live OTPs. */
async function withOtps(count: number) {
  const { pims } = await loggedInPims(server.url);
  const { pin } = await enrollWithShortcut(server.url, pims, "36925814");
  const otps: string[] = [];
  for (let i = 0; i < count; i++)
    otps.push(
      (expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as { otp: string }).otp,
    );
  return { accountId: await accountIdOf(server.server, pims), otps };
}

const verification = (party: { key: string }, body: object): Recorded => ({
  url: `${server.url}/v1/rp/verify`,
  headers: { authorization: `Bearer ${party.key}`, "content-type": "application/json" },
  body: JSON.stringify(body),
});

const validOf = (answer: { body: { result?: unknown } }) =>
  (answer.body.result as { valid?: boolean } | undefined)?.valid;

/**
 * Has the server look up (and keep for a few seconds) each party's key, so that the requests of a
 * turn that follow go on to their writes in that same turn rather than each awaiting a lookup.
 */
async function warm(ofParties: readonly { key: string }[]) {
  await inOneTurn(
    server,
    ofParties.map((party) => verification(party, { account: "acc_warming_up", otp: "00000000" })),
  );
}

/** The `otp.verify` successes audited for `accountIds`: who, which party, and (PostgreSQL) which transaction. */
async function successes(accountIds: readonly string[]) {
  const rows = await server.server.services.db
    .selectFrom("audit_events")
    .select([
      "account_id",
      "detail",
      sql<string>`${sql.raw(TEST_ENGINE === "postgres" ? "xmin::text" : "''")}`.as("tx"),
    ])
    .where("account_id", "in", accountIds)
    .where("event", "=", "otp.verify")
    .where("outcome", "=", "success")
    .execute();
  return rows.map((row) => ({
    accountId: row.account_id,
    relyingParty: (JSON.parse(row.detail ?? "{}") as { relyingParty?: string }).relyingParty,
    tx: row.tx,
  }));
}

describe(`verifications in one turn (${TEST_ENGINE})`, () => {
  it("each gets the outcome it would get alone: a replay, a wrong guess or an unknown account beside them spoils nothing", async () => {
    // The attack: a holder of a relying party's key sends, in the same instant as genuine
    // verifications, a replay of a user's OTP, wrong guesses and an unknown account. Written
    // together, none of these may consume, void or misattribute another request's OTP.
    const users = await Promise.all([withOtps(1), withOtps(1), withOtps(1), withOtps(2), withOtps(1)]);
    const [a, b, c, d, e] = users as [User, User, User, User, User];
    const [partyA, partyB] = parties as [{ id: string; key: string }, { id: string; key: string }];
    await warm(parties);
    const answers = await inOneTurn(server, [
      verification(partyA, { account: a.accountId, otp: a.otps[0] }),
      verification(partyB, { account: b.accountId, otp: b.otps[0] }),
      verification(partyA, { account: c.accountId, otp: c.otps[0] }),
      verification(partyB, { account: c.accountId, otp: c.otps[0] }),
      verification(partyA, { account: d.accountId, otp: "00000000" }),
      verification(partyA, { account: "acc_nobody_here", otp: a.otps[0] }),
      verification(partyB, { account: d.accountId, otp: d.otps[1] }),
      verification(partyA, { account: e.accountId, otp: e.otps[0] }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    const valid = answers.map(validOf);
    expect(valid[0]).toBe(true);
    expect(valid[1]).toBe(true);
    // The replay: one of the two copies consumed it, never both.
    expect([valid[2], valid[3]].filter(Boolean)).toHaveLength(1);
    expect(valid[4]).toBe(false);
    expect(valid[5]).toBe(false);
    expect(valid[6]).toBe(true);
    expect(valid[7]).toBe(true);
    // One success row each, naming the party that verified it.
    const rows = await successes([a.accountId, b.accountId, c.accountId, d.accountId, e.accountId]);
    expect(rows.map(({ accountId, relyingParty }) => `${accountId} ${relyingParty}`).sort()).toEqual(
      [
        `${a.accountId} ${partyA.id}`,
        `${b.accountId} ${partyB.id}`,
        `${c.accountId} ${valid[2] ? partyA.id : partyB.id}`,
        `${d.accountId} ${partyB.id}`,
        `${e.accountId} ${partyA.id}`,
      ].sort(),
    );
    // D's wrong guess counted against its live OTP, which still verifies (one wrong guess of five).
    const [first] = await inOneTurn(server, [verification(partyA, { account: d.accountId, otp: d.otps[0] })]);
    expect(first && validOf(first)).toBe(true);
    if (TEST_ENGINE === "postgres") {
      // They were written together: A's and E's successes (one party's, whose limit's hits are
      // answered at once) are one statement's.
      const together = rows.filter((row) => row.accountId === a.accountId || row.accountId === e.accountId);
      expect(together).toHaveLength(2);
      expect(new Set(together.map((row) => row.tx)).size).toBe(1);
    }
  });

  it("a verification that fails its write fails alone: the others of its turn are consumed and audited", async () => {
    // The attack: a request built to make the shared write fail (here, a trigger stands for any
    // input the database refuses) must not take the turn's genuine verifications down with it.
    const users = await Promise.all([withOtps(1), withOtps(1), withOtps(1)]);
    const [poisoned, ...genuine] = users as [User, User, User];
    const [party] = parties as [{ id: string; key: string }];
    await warm([party]);
    const answers = await withAuditRefused(server, `new.account_id = '${poisoned.accountId}'`, () =>
      inOneTurn(
        server,
        users.map((user) => verification(party, { account: user.accountId, otp: user.otps[0] })),
      ),
    );
    const [poisonedAnswer, ...genuineAnswers] = answers;
    expect(poisonedAnswer?.status).toBe(500);
    expect(poisonedAnswer?.body.error?.code).toBe(2204);
    expect(genuineAnswers.map(validOf)).toEqual([true, true]);
    expect((await successes(genuine.map((user) => user.accountId))).length).toBe(2);
    // The failed write consumed nothing: once the database takes it, the OTP verifies.
    const [again] = await inOneTurn(server, [
      verification(party, { account: poisoned.accountId, otp: poisoned.otps[0] }),
    ]);
    expect(again && validOf(again)).toBe(true);
  });

  it.runIf(TEST_ENGINE === "postgres")(
    "an account whose lock is held elsewhere waits alone: the others of its turn answer at once",
    async () => {
      // The attack: a user's own PIN attempt (or an admin's change) holds the account's row lock;
      // verifications of other users written together with one of that account must not wait for
      // it, and the held account's verification must still succeed once the lock is released.
      const users = await Promise.all([withOtps(1), withOtps(1), withOtps(1)]);
      const [held, ...others] = users as [User, User, User];
      const [party] = parties as [{ id: string; key: string }];
      const { databaseUrl, databaseSchema } = server.server.services.config;
      const database = openDatabase(databaseUrl, databaseSchema ? { schema: databaseSchema } : {});
      let release: () => void = () => undefined;
      const locked = new Promise<void>((resolve) => {
        void database.db.transaction().execute(async (trx) => {
          await sql`select id from accounts where id = ${held.accountId} for no key update`.execute(trx);
          resolve();
          await new Promise<void>((done) => {
            release = done;
          });
        });
      });
      try {
        await locked;
        await warm([party]);
        const pending = inOneTurn(
          server,
          users.map((user) => verification(party, { account: user.accountId, otp: user.otps[0] })),
        );
        // The others are written while the lock is still held.
        for (let waited = 0; (await successes(others.map((user) => user.accountId))).length < 2; waited += 20) {
          expect(waited).toBeLessThan(5_000);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(await successes([held.accountId])).toEqual([]);
        release();
        expect((await pending).map(validOf)).toEqual([true, true, true]);
      } finally {
        release();
        await database.close();
      }
    },
  );
});
