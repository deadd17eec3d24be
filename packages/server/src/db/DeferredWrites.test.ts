import { describe, expect, it } from "vitest";
import { deferWrites, registerDeferrable } from "./DeferredWrites.js";

// The wrapper of a PostgreSQL connection's `query` that keeps a transaction's deferrable writes and
// sends them together (decision 0032), seen from the connection: what is sent, in which order. The
// round trips on a real PostgreSQL are tested in packages/tests (roundtrip/deferredWrites.test.ts).

const AUDIT = 'insert into "audit_events" ("id", "event") values ($1, $2)';
const OTP = 'insert into "otps" ("id", "account_id") values ($1, $2)';
const RESET = 'update "accounts" set "pin_failures" = $1 where "id" = $2';
const RESET_AGAIN = 'update "accounts" set "pin_recovered_at" = $1 where "id" = $2';
for (const sql of [AUDIT, OTP, RESET, RESET_AGAIN]) registerDeferrable(sql);

/** A connection that records each statement and answers it, or fails the ones `fails` names. */
function connection(fails: (text: string) => boolean = () => false) {
  const sent: { text: string; values: unknown[] }[] = [];
  const send = (text: unknown, values?: unknown) => {
    const statement =
      typeof text === "string"
        ? { text, values: (values as unknown[]) ?? [] }
        : { text: (text as { text: string }).text, values: (text as { values: unknown[] }).values };
    sent.push(statement);
    return fails(statement.text)
      ? Promise.reject(new Error(`failed: ${statement.text}`))
      : Promise.resolve({ rows: [] });
  };
  return { query: deferWrites(send), sent };
}

describe("deferred writes", () => {
  it("outside a transaction, a deferrable write is sent at once", async () => {
    const { query, sent } = connection();
    await query(AUDIT, ["evt_1", "a"]);
    expect(sent).toEqual([{ text: AUDIT, values: ["evt_1", "a"] }]);
  });

  it("in a transaction, consecutive deferrable writes go as one statement before the next statement", async () => {
    const { query, sent } = connection();
    await query("begin", []);
    await query(RESET, [0, "acc_1"]);
    await query(OTP, ["otp_1", "acc_1"]);
    await query(AUDIT, ["evt_1", "otp.issue"]);
    expect(sent.map((s) => s.text)).toEqual(["begin"]);
    await query("commit", []);
    expect(sent).toEqual([
      { text: "begin", values: [] },
      {
        text: `with "pims_w1" as (${RESET}), "pims_w2" as (${OTP.replace("$1", "$3").replace("$2", "$4")}), "pims_w3" as (${AUDIT.replace("$1", "$5").replace("$2", "$6")}) select 1`,
        values: [0, "acc_1", "otp_1", "acc_1", "evt_1", "otp.issue"],
      },
      { text: "commit", values: [] },
    ]);
  });

  it("a read after a kept write is sent after it, so it sees it; one kept write goes as it is", async () => {
    const { query, sent } = connection();
    await query("begin", []);
    await query(RESET, [0, "acc_1"]);
    await query('select "pin_failures" from "accounts" where "id" = $1', ["acc_1"]);
    expect(sent.map((s) => s.text)).toEqual(["begin", RESET, 'select "pin_failures" from "accounts" where "id" = $1']);
  });

  it("an update of a table a kept write changes is not composed with it: the kept one is sent first", async () => {
    // Two writes of one row in one statement would not see each other (PostgreSQL keeps one).
    const { query, sent } = connection();
    await query("begin", []);
    await query(RESET, [0, "acc_1"]);
    await query(RESET_AGAIN, [5, "acc_1"]);
    await query("commit", []);
    expect(sent.map((s) => s.text)).toEqual(["begin", RESET, RESET_AGAIN, "commit"]);
  });

  it("a kept write that fails fails the next statement, with its own error; a rollback drops what is kept", async () => {
    const { query, sent } = connection((text) => text.includes("pims_w"));
    await query("begin", []);
    await query(OTP, ["otp_1", "acc_1"]);
    await query(AUDIT, ["evt_1", "otp.issue"]);
    await expect(query("commit", [])).rejects.toThrow(/failed: with "pims_w1"/);
    await query("begin", []);
    await query(AUDIT, ["evt_2", "otp.issue"]);
    await query("rollback", []);
    await query(AUDIT, ["evt_3", "otp.issue"]);
    expect(sent.slice(3).map((s) => s.text)).toEqual(["begin", "rollback", AUDIT]);
    expect(sent.at(-1)?.values).toEqual(["evt_3", "otp.issue"]);
  });

  it("refuses to register what cannot be composed: a write whose result is read, a quote, a read", () => {
    expect(() => registerDeferrable('insert into "otps" ("id") values ($1) returning "id"')).toThrow();
    expect(() => registerDeferrable(`update "accounts" set "login" = 'x' where "id" = $1`)).toThrow();
    expect(() => registerDeferrable('select "id" from "accounts" where "id" = $1')).toThrow();
  });
});

describe("a commit PostgreSQL answers with ROLLBACK", () => {
  it("fails: a transaction aborted by a failed statement whose error was swallowed is never taken for committed", async () => {
    const send = (text: unknown) =>
      Promise.resolve(text === "commit" ? { command: "ROLLBACK", rows: [] } : { command: "SELECT", rows: [] });
    const query = deferWrites(send);
    await query("begin", []);
    await expect(query("commit", [])).rejects.toThrow(/rolled back/);
  });
});
