import type { Kysely } from "kysely";

/**
 * An index for the periodic purge of expired sessions (`refresh_expires_at < ?`): without it the
 * purge read the whole table every minute — with a million sessions, a pause of the event loop
 * on SQLite and a sequential scan on PostgreSQL (bench, large database; issue 14).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("sessions_refresh_expiry").on("sessions").column("refresh_expires_at").execute();
}
