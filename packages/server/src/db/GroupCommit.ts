import { CompiledQuery, type Kysely } from "kysely";
import type { DatabaseSchema } from "./schema.js";

type Work<T> = (trx: Kysely<DatabaseSchema>) => Promise<T>;

interface Pending {
  readonly work: Work<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const SAVEPOINT = CompiledQuery.raw("savepoint pims_group");
const RELEASE = CompiledQuery.raw("release pims_group");
const ROLLBACK_TO = CompiledQuery.raw("rollback to pims_group");

/**
 * Transactions that share one commit (SQLite, decision 0030). The transactions asked for in one
 * turn of the event loop run one after another in a single database transaction, each in its own
 * savepoint, and each caller is answered once that transaction has committed:
 *
 * - what a caller is told succeeded is durable, as with a commit of its own (nothing is answered
 *   before the commit);
 * - a transaction that throws rolls back to its savepoint: its writes are undone, the others'
 *   are not, and its caller gets its error (after the commit, like the others);
 * - a commit that fails fails every caller of the group, none of whose writes are kept;
 * - they run in the order they were asked for, each seeing the writes of those before it, as if
 *   each had committed before the next began.
 *
 * SQLite writes the pages a group dirtied once, in one commit, instead of once per transaction
 * (the audit log's last page, a busy counter's row and the indexes are shared): on one core, a
 * commit was the largest part of a verification (bench/README.md, "The third pass").
 *
 * A work must not wait on anything but the database through `trx` (as for any transaction on the
 * single SQLite connection, where it would wait for itself), and must not start a transaction.
 * `maxGroup` bounds how long the last of a group waits for those before it.
 */
export class GroupCommit {
  #queue: Pending[] = [];

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly maxGroup = 64,
  ) {}

  /** Runs `work` in a transaction shared with those asked for in the same turn; resolves after the commit. */
  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => void this.#flush());
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  async #flush(): Promise<void> {
    const group = this.#queue.splice(0, this.maxGroup);
    if (this.#queue.length > 0) setImmediate(() => void this.#flush());
    if (group.length === 0) return;
    const [only] = group;
    if (group.length === 1 && only) {
      // Alone: its own transaction, no savepoint.
      await this.db.transaction().execute(only.work).then(only.resolve, only.reject);
      return;
    }
    const outcomes: Outcome[] = [];
    // What broke the group, when it is a work's error SQLite answered by rolling back the whole
    // transaction: Kysely's own ROLLBACK then fails too ("no transaction is active"), and the log
    // should say why the group failed, not only that the rollback did.
    let broke: unknown;
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const { work } of group) {
          await trx.executeQuery(SAVEPOINT);
          try {
            const value = await work(trx);
            await trx.executeQuery(RELEASE);
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Its writes undone; were the rollback to fail, the whole group fails below.
            broke = error;
            await trx.executeQuery(ROLLBACK_TO);
            await trx.executeQuery(RELEASE);
            broke = undefined;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      const failure =
        broke === undefined || broke === error ? error : new Error("the group's transaction failed", { cause: broke });
      for (const { reject } of group) reject(failure);
      return;
    }
    group.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    });
  }
}
