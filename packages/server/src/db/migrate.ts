import { type Kysely, type MigrationResultSet, Migrator } from "kysely";
import { MIGRATIONS } from "./migrations/index.js";

/**
 * Applies every pending migration, in order, each in its own transaction. Safe to run from
 * several processes at once: Kysely takes a lock on its migration table.
 */
export async function migrate(db: Kysely<unknown>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
