import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Kysely,
  SqliteAdapter,
  type SqliteDialectConfig,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";

/**
 * Kysely's SQLite dialect, with transactions opened by `BEGIN IMMEDIATE`. A deferred transaction
 * that reads and then writes cannot take the write lock if another process committed meanwhile:
 * SQLite fails it at once (SQLITE_BUSY_SNAPSHOT) instead of waiting. Taking the write lock up front
 * makes several processes on one file queue politely (busy_timeout) instead.
 */
export class ImmediateSqliteDialect implements Dialect {
  constructor(private readonly config: SqliteDialectConfig) {}

  createDriver() {
    return new ImmediateSqliteDriver(this.config);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}
