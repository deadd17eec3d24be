import type { Kysely } from "kysely";

/** Enrolled devices, PIN verifiers, the wrong-PIN counter, the signed-request nonce cache. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("accounts")
    .addColumn("pin_failures", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("accounts")
    .addColumn("active_devices", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("pin_verifiers")
    .addColumn("account_id", "text", (c) => c.primaryKey().references("accounts.id").onDelete("cascade"))
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("salt", "text", (c) => c.notNull())
    .addColumn("sealed", "text", (c) => c.notNull())
    .addColumn("set_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("devices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("enrolled_at", "bigint")
    .addColumn("removed_at", "bigint")
    .addColumn("enrollment_validated_until", "bigint")
    .addColumn("last_used_at", "bigint")
    .execute();
  await db.schema.createIndex("devices_account").on("devices").columns(["account_id", "status"]).execute();

  await db.schema
    .createTable("request_nonces")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("request_nonces_expiry").on("request_nonces").column("expires_at").execute();
}
