import type { Kysely } from "kysely";

/** Accounts, sessions, external identities, rate-limit counters and the audit log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("login", "text", (c) => c.notNull())
    .addColumn("login_key", "text", (c) => c.unique())
    .addColumn("password_hash", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("access_hash", "text", (c) => c.notNull().unique())
    .addColumn("access_expires_at", "bigint", (c) => c.notNull())
    .addColumn("refresh_hash", "text", (c) => c.notNull().unique())
    .addColumn("previous_refresh_hash", "text")
    .addColumn("refresh_expires_at", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema.createIndex("sessions_account").on("sessions").column("account_id").execute();
  await db.schema.createIndex("sessions_previous_refresh").on("sessions").column("previous_refresh_hash").execute();

  await db.schema
    .createTable("external_identities")
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("external_identities_pk", ["issuer", "subject"])
    .execute();

  await db.schema
    .createTable("rate_limits")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("window_started_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("account_id", "text")
    .addColumn("device_id", "text")
    .addColumn("client_address", "text")
    .addColumn("detail", "text")
    .execute();
  await db.schema.createIndex("audit_events_account").on("audit_events").columns(["account_id", "at"]).execute();
}
