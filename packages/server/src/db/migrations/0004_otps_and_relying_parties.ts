import type { Kysely } from "kysely";

/** One-time passwords and the relying parties allowed to verify them. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("otps")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("otp_mac", "text", (c) => c.notNull())
    .addColumn("factors", "text", (c) => c.notNull())
    .addColumn("context_hash", "text")
    .addColumn("issued_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("consumed_at", "bigint")
    .addColumn("consumed_by", "text")
    .execute();
  await db.schema.createIndex("otps_lookup").on("otps").columns(["account_id", "otp_mac"]).execute();
  await db.schema.createIndex("otps_expiry").on("otps").column("expires_at").execute();

  await db.schema
    .createTable("relying_parties")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .execute();
}
