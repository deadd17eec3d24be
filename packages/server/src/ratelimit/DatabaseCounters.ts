import { type Kysely, sql } from "kysely";
import type { Clock } from "../Clock.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { Counters } from "./Counters.js";

/** {@link Counters} in the `rate_limits` table: one upsert per hit, on SQLite and PostgreSQL alike. */
export class DatabaseCounters implements Counters {
  // Compiled once (db/Prepared.ts): hit and peek run on every verification.
  readonly #hit;
  readonly #peek;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    /**
     * Where hits are written (default `db`). On PostgreSQL, a pool whose commits do not wait for
     * the WAL flush (decision 0015): the row of a busy key is then locked for a statement, not for
     * an fsync. Reads and writes are the same atomic statements, so limits stay exact.
     */
    private readonly writer: Kysely<DatabaseSchema> = db,
    /** Whether `writer` is `db`'s own connection (SQLite), so a hit may join a transaction of `db`. */
    readonly joinsTransactions = false,
  ) {
    const expired = param<number>("expired");
    const now = param<number>("now");
    const expiresAt = param<number>("expiresAt");
    const by = param<number>("by");
    this.#hit = prepare(
      db
        .insertInto("rate_limits")
        .values({ key: param<string>("key"), count: by, window_started_at: now, expires_at: expiresAt })
        .onConflict((conflict) =>
          conflict.column("key").doUpdateSet({
            count: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN ${by} ELSE rate_limits.count + ${by} END`,
            window_started_at: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN ${now} ELSE rate_limits.window_started_at END`,
            expires_at: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN ${expiresAt} ELSE rate_limits.expires_at END`,
          }),
        )
        .returning("count"),
    );
    this.#peek = prepare(
      db
        .selectFrom("rate_limits")
        .select("count")
        .where("key", "=", param<string>("key"))
        .where("window_started_at", ">", param<number>("after")),
    );
  }

  async hit(key: string, windowMs: number, within?: Kysely<DatabaseSchema>, by = 1): Promise<number> {
    const now = this.clock.now();
    const row = await this.#hit.first((this.joinsTransactions && within) || this.writer, {
      key,
      now,
      expired: now - windowMs,
      expiresAt: now + windowMs,
      by,
    });
    if (!row) throw new Error("rate limit upsert returned no row");
    return Number(row.count);
  }

  async peek(key: string, windowMs: number): Promise<number> {
    const row = await this.#peek.first(this.db, { key, after: this.clock.now() - windowMs });
    return row ? Number(row.count) : 0;
  }

  async refund(key: string): Promise<void> {
    await this.db
      .updateTable("rate_limits")
      .set({ count: sql<number>`count - 1` })
      .where("key", "=", key)
      .where("count", ">", 0)
      .execute();
  }

  /** Deletes the rows whose window is over (a count there no longer matters). */
  async purge(): Promise<void> {
    await this.db.deleteFrom("rate_limits").where("expires_at", "<", this.clock.now()).execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom("rate_limits").where("key", "=", key).execute();
  }
}
