import type { Kysely } from "kysely";

/** Trusted phone numbers (one per account, unique across accounts), SMS codes, resend cooldowns. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("trusted_phones")
    .addColumn("account_id", "text", (c) => c.primaryKey().references("accounts.id").onDelete("cascade"))
    .addColumn("phone_e164", "text", (c) => c.notNull().unique())
    .addColumn("trusted_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sms_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("phone_e164", "text", (c) => c.notNull())
    .addColumn("code_mac", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("consumed_at", "bigint")
    .execute();
  await db.schema
    .createIndex("sms_codes_account_purpose")
    .on("sms_codes")
    .columns(["account_id", "purpose", "created_at"])
    .execute();

  await db.schema
    .createTable("sms_cooldowns")
    .addColumn("phone_e164", "text", (c) => c.primaryKey())
    .addColumn("last_sent_at", "bigint", (c) => c.notNull())
    .addColumn("next_allowed_at", "bigint", (c) => c.notNull())
    .addColumn("streak", "integer", (c) => c.notNull())
    .execute();
}
