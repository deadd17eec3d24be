import { type Kysely, sql } from "kysely";
import type { Clock } from "../Clock.js";
import type { DatabaseSchema } from "../db/schema.js";

const HOUR = 3_600_000;

/**
 * The resend slot of each phone number and purpose, shared by every process: the same request
 * repeated is a duplicate, a code for another purpose is not.
 */
export interface Cooldowns {
  /**
   * Takes the slot of the number and purpose if its cooldown is over, and starts the next one:
   * `baseMs`, doubled for each send within the hour, at most `maxMs`. False while a cooldown runs.
   */
  take(phone: string, purpose: string, baseMs: number, maxMs: number): Promise<boolean>;
  /** Gives the slot back (the SMS could not be delivered). */
  release(phone: string, purpose: string): Promise<void>;
  /** Deletes slots that no longer matter (Redis expires them by itself). */
  purge(): Promise<void>;
}

/** {@link Cooldowns} in the `sms_cooldowns` table: a conditional upsert takes the slot. */
export class DatabaseCooldowns implements Cooldowns {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async take(phone: string, purpose: string, baseMs: number, maxMs: number): Promise<boolean> {
    const now = this.clock.now();
    const row = await this.db
      .insertInto("sms_cooldowns")
      .values({ phone_e164: phone, purpose, last_sent_at: now, next_allowed_at: now + baseMs, streak: 1 })
      .onConflict((conflict) =>
        conflict
          .columns(["phone_e164", "purpose"])
          .doUpdateSet({
            streak: sql<number>`CASE WHEN sms_cooldowns.last_sent_at <= ${now - HOUR} THEN 1 ELSE sms_cooldowns.streak + 1 END`,
            last_sent_at: now,
            next_allowed_at: now + baseMs,
          })
          .where("sms_cooldowns.next_allowed_at", "<=", now),
      )
      .returning("streak")
      .executeTakeFirst();
    if (!row) return false;
    const streak = Number(row.streak);
    if (streak > 1) {
      await this.db
        .updateTable("sms_cooldowns")
        .set({ next_allowed_at: now + Math.min(baseMs * 2 ** (streak - 1), maxMs) })
        .where("phone_e164", "=", phone)
        .where("purpose", "=", purpose)
        .execute();
    }
    return true;
  }

  async release(phone: string, purpose: string): Promise<void> {
    await this.db
      .updateTable("sms_cooldowns")
      .set({ next_allowed_at: this.clock.now(), streak: sql<number>`streak - 1` })
      .where("phone_e164", "=", phone)
      .where("purpose", "=", purpose)
      .execute();
  }

  /** Deletes slots idle for an hour whose cooldown is over: the streak restarts after an hour anyway. */
  async purge(): Promise<void> {
    const now = this.clock.now();
    await this.db
      .deleteFrom("sms_cooldowns")
      .where("last_sent_at", "<=", now - HOUR)
      .where("next_allowed_at", "<=", now)
      .execute();
  }
}
