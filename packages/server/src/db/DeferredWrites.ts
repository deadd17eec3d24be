/**
 * Writes a PostgreSQL transaction sends together (issue 14, decision 0032). A statement compiled
 * as deferrable ({@link registerDeferrable}: an insert or update whose caller reads nothing of its
 * result, e.g. an audit row) is not sent when it is run inside a transaction: it is kept, and the
 * writes kept in a row are sent as one statement (`with w1 as (…), w2 as (…) select 1`) just
 * before the transaction's next other statement — a read, a write whose result is read, or the
 * `COMMIT`. Each statement of a transaction is one round trip, so S15's four last writes (the PIN
 * count's reset, the device's PIN proof, the OTP, the audit row) cost one instead of four.
 *
 * What stays true:
 * - **Order.** Every statement runs after the writes asked for before it, so it sees them. The
 *   writes of one composed statement share a snapshot and do not see each other: a write is
 *   composed only with writes of other tables, or with inserts into the same one (new rows),
 *   never after an update of its own table.
 * - **All or nothing.** A kept write that fails fails the statement that sent it, and so the
 *   transaction: the caller of the next statement (or of `COMMIT`) gets the error, and nothing
 *   of the transaction is kept. A caller of a deferrable write learns of its failure only then,
 *   so a write whose own error is handled (a unique violation caught, say) must not be deferrable.
 * - **Outside a transaction nothing is kept**: an autocommitted write is sent as it is asked for.
 *   A `ROLLBACK` drops what was kept (it would have been undone).
 */

/** What is known of a deferrable statement: the table it writes and how. */
interface Deferrable {
  readonly table: string;
  readonly kind: "insert" | "update";
}

const deferrables = new Map<string, Deferrable>();

/**
 * Registers the SQL text of a statement (as compiled for PostgreSQL) as deferrable. Only a plain
 * `insert into "t"` or `update "t"`, without `returning` (a result someone reads), quotes or
 * dollar quotes (its `$n` parameters are renumbered when composed), is accepted.
 */
export function registerDeferrable(sql: string): void {
  const match = /^(insert into|update) "([a-z_]+)" /.exec(sql);
  if (!match || /returning|'|\$\$|;/i.test(sql)) throw new Error(`not a deferrable write: ${sql}`);
  deferrables.set(sql, { table: match[2] as string, kind: match[1] === "update" ? "update" : "insert" });
}

interface Kept {
  readonly sql: string;
  readonly values: readonly unknown[];
  readonly write: Deferrable;
}

/** The result a kept write answers at once (its caller reads nothing of it). */
const keptResult = (write: Deferrable) => ({
  command: write.kind === "insert" ? "INSERT" : "UPDATE",
  rowCount: 0,
  rows: [],
  fields: [],
});

type Query = (text: unknown, ...rest: unknown[]) => unknown;

/** Composed statements by SQL text → the name PostgreSQL keeps each under, bounded. */
const composedNames = new Map<string, string>();
const MAX_COMPOSED_NAMES = 256;

/** The kept writes as one statement, their parameters renumbered in order. */
function compose(kept: readonly Kept[]): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const parts = kept.map((write, i) => {
    const offset = values.length;
    values.push(...write.values);
    const text = write.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `"pims_w${i + 1}" as (${text})`;
  });
  return { sql: `with ${parts.join(", ")} select 1`, values };
}

/**
 * Wraps a pg client's `query` (as Kysely calls it: SQL text and an array of parameters) so that
 * the deferrable writes of its transactions are kept and sent together. `send` is the client's
 * own `query`, already wrapped with statement names.
 */
export function deferWrites(send: Query): Query {
  let inTransaction = false;
  let kept: Kept[] = [];
  /** Sends what is kept (one statement), now: queued on the connection before anything after. */
  const flush = (): Promise<unknown> => {
    const only = kept.length === 1 ? kept[0] : undefined;
    const { sql, values } = only ? { sql: only.sql, values: only.values } : compose(kept);
    kept = [];
    if (only) return send(sql, values) as Promise<unknown>;
    let name = composedNames.get(sql);
    if (name === undefined && composedNames.size < MAX_COMPOSED_NAMES) {
      name = `pims_c${composedNames.size + 1}`;
      composedNames.set(sql, name);
    }
    return (name === undefined ? send(sql, values) : send({ name, text: sql, values })) as Promise<unknown>;
  };
  /** Sends what is kept, then `text`; a failure of the kept writes is the answer. */
  const flushThen = (text: unknown, rest: unknown[]): Promise<unknown> => {
    const written = flush();
    const next = send(text, ...rest) as Promise<unknown>;
    return written.then(
      () => next,
      (error: unknown) => {
        next.catch(() => undefined);
        throw error;
      },
    );
  };
  /** Sends `text`, after what is kept if anything is. */
  const forward = (text: unknown, rest: unknown[]) => (kept.length > 0 ? flushThen(text, rest) : send(text, ...rest));
  return (text: unknown, ...rest: unknown[]) => {
    if (typeof text !== "string") return forward(text, rest);
    const write = inTransaction && Array.isArray(rest[0]) ? deferrables.get(text) : undefined;
    if (write) {
      // An update after a kept write of its own table would not see it in one statement.
      const before =
        write.kind === "update" && kept.some((other) => other.write.table === write.table) ? flush() : undefined;
      kept.push({ sql: text, values: rest[0] as unknown[], write });
      return before ? before.then(() => keptResult(write)) : Promise.resolve(keptResult(write));
    }
    const command = text.trimStart().slice(0, 20).toLowerCase();
    if (command.startsWith("begin") || command.startsWith("start transaction")) inTransaction = true;
    else if (command === "rollback") {
      inTransaction = false;
      kept = [];
    } else if (command === "commit") {
      inTransaction = false;
      // PostgreSQL answers the COMMIT of a transaction that a failed statement aborted with
      // ROLLBACK, not an error: had that failure been caught and not rethrown, the caller would
      // take a rolled-back transaction for committed. Never.
      const committed = forward(text, rest) as Promise<{ command?: string }>;
      return committed.then((result) => {
        if (result?.command === "ROLLBACK")
          throw new Error("the transaction was rolled back: one of its statements failed");
        return result;
      });
    }
    return forward(text, rest);
  };
}
