import { type Kysely, sql } from "kysely";

/**
 * Limits that cannot be turned into levers (issue 12):
 * - `otps.wrong_guesses`: the wrong guesses each live OTP has faced; at the limit the account's
 *   live OTPs are voided (instead of refusing every verification that follows).
 * - `sms_cooldowns` keyed by number and purpose (a PIN-reset code right after an enrollment code
 *   is no duplicate). The table only holds running cooldowns: it is recreated empty.
 * - `rate_limits.expires_at`: when a window is over, so the periodic purge can delete the row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("otps")
    .addColumn("wrong_guesses", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema.dropTable("sms_cooldowns").execute();
  await db.schema
    .createTable("sms_cooldowns")
    .addColumn("phone_e164", "text", (c) => c.notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("last_sent_at", "bigint", (c) => c.notNull())
    .addColumn("next_allowed_at", "bigint", (c) => c.notNull())
    .addColumn("streak", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("sms_cooldowns_pk", ["phone_e164", "purpose"])
    .execute();
  await db.schema.createIndex("sms_cooldowns_last_sent").on("sms_cooldowns").column("last_sent_at").execute();

  await db.schema
    .alterTable("rate_limits")
    .addColumn("expires_at", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  // Rows of before: the longest window any limit uses (30 days) keeps every count that may matter.
  await sql`update rate_limits set expires_at = window_started_at + ${30 * 86_400_000}`.execute(db);
  await db.schema.createIndex("rate_limits_expiry").on("rate_limits").column("expires_at").execute();
  await db.schema.createIndex("sms_codes_expiry").on("sms_codes").column("expires_at").execute();
}
