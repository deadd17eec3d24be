import { type Kysely, sql } from "kysely";
import type { Clock } from "../Clock.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { Counters } from "./Counters.js";

/** {@link Counters} in the `rate_limits` table: one upsert per hit, on SQLite and PostgreSQL alike. */
export class DatabaseCounters implements Counters {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, windowMs: number): Promise<number> {
    const now = this.clock.now();
    const expired = now - windowMs;
    const row = await this.db
      .insertInto("rate_limits")
      .values({ key, count: 1, window_started_at: now, expires_at: now + windowMs })
      .onConflict((conflict) =>
        conflict.column("key").doUpdateSet({
          count: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN 1 ELSE rate_limits.count + 1 END`,
          window_started_at: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN ${now} ELSE rate_limits.window_started_at END`,
          expires_at: sql<number>`CASE WHEN rate_limits.window_started_at <= ${expired} THEN ${now + windowMs} ELSE rate_limits.expires_at END`,
        }),
      )
      .returning("count")
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async peek(key: string, windowMs: number): Promise<number> {
    const row = await this.db
      .selectFrom("rate_limits")
      .select("count")
      .where("key", "=", key)
      .where("window_started_at", ">", this.clock.now() - windowMs)
      .executeTakeFirst();
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
