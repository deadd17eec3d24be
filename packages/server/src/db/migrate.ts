import { type Kysely, type MigrationResultSet, Migrator, sql } from "kysely";
import { MIGRATIONS } from "./migrations/index.js";

/**
 * Applies every pending migration, in order, each in its own transaction. Safe to run from
 * several processes at once: Kysely takes a lock on its migration table.
 */
export async function migrate(db: Kysely<unknown>, schema?: string): Promise<MigrationResultSet> {
  if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    // Kysely looks for its own tables in every schema unless told which one is ours.
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
