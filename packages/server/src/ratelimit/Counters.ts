import type { Kysely } from "kysely";
import type { DatabaseSchema } from "../db/schema.js";

/**
 * Fixed-window counters shared by every server process. Each change is one atomic statement in
 * the shared store (design: "Storage and scale"), so N processes enforce one limit.
 */
export interface Counters {
  /**
   * Adds one (or `by`) to `key` in the current window and returns the new count. `within`: a
   * transaction of the database the hit may be written in, when {@link joinsTransactions}; ignored
   * otherwise. `by` (a positive integer) hits at once count as `by` hits one after another: the
   * count they return is the last one's (the one before them is `count - by`).
   */
  hit(key: string, windowMs: number, within?: Kysely<DatabaseSchema>, by?: number): Promise<number>;
  /**
   * Whether a hit may be written in a transaction of the database (SQLite, where the counters are
   * in the database file: its commit is the transaction's, one write of the log instead of two).
   * Not on PostgreSQL, whose hits go through a pool of their own (decision 0015), nor Redis.
   */
  readonly joinsTransactions: boolean;
  /** The count of `key` in the current window. */
  peek(key: string, windowMs: number): Promise<number>;
  /** Takes one back (an attempt that turned out legitimate). */
  refund(key: string): Promise<void>;
  /** Forgets `key`. */
  reset(key: string): Promise<void>;
  /** Deletes counts whose window is over (Redis expires them by itself). */
  purge(): Promise<void>;
}
