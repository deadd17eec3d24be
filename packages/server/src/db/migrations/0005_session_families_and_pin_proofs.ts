import { type Kysely, sql } from "kysely";

/**
 * Refresh-token families (docs/decisions/0010-refresh-token-families.md): every refresh token a
 * session rotated out, so that presenting any of them — not only the last — revokes the session.
 * And the moment a device last proved the PIN, for S9's knowledge proof
 * (docs/decisions/0009-phone-change-needs-knowledge.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("retired_refresh_tokens")
    .addColumn("refresh_hash", "text", (c) => c.primaryKey())
    .addColumn("session_id", "text", (c) => c.notNull().references("sessions.id").onDelete("cascade"))
    .addColumn("retired_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("retired_refresh_tokens_session")
    .on("retired_refresh_tokens")
    .column("session_id")
    .execute();
  // Sessions of the former scheme kept only the last retired token: carry it over.
  await sql`
    insert into retired_refresh_tokens (refresh_hash, session_id, retired_at)
    select previous_refresh_hash, id, created_at from sessions where previous_refresh_hash is not null
  `.execute(db);

  await db.schema.alterTable("devices").addColumn("pin_proven_at", "bigint").execute();
}
