import { closeSync, mkdirSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, type SqliteDatabase, type SqliteStatement } from "kysely";
import type { CustomTypesConfig, Pool, PoolClient } from "pg";
import { deferWrites } from "./DeferredWrites.js";
import { ImmediateSqliteDialect } from "./ImmediateSqliteDialect.js";
import { statementName } from "./Prepared.js";
import type { DatabaseSchema } from "./schema.js";
import { startWalCheckpointer } from "./walCheckpointer.js";

export type Engine = "sqlite" | "postgres";

export interface Database {
  readonly db: Kysely<DatabaseSchema>;
  /**
   * Where rate-limit counters are written. PostgreSQL: a small pool of its own whose commits do
   * not wait for the WAL flush (decision 0015), so the row of a busy counter is locked for the
   * length of a statement instead of an fsync. SQLite: `db`.
   */
  readonly counterDb: Kysely<DatabaseSchema>;
  readonly engine: Engine;
  /** PostgreSQL pool figures (total, idle, waiting clients); undefined for SQLite. */
  readonly pool: { totalCount: number; idleCount: number; waitingCount: number } | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL pool size. */
  readonly poolSize?: number;
  /** PostgreSQL schema to use (tests give each suite its own). */
  readonly schema?: string;
  /**
   * SQLite file database: told when the thread that checkpoints the WAL fails (the main connection
   * then checkpoints by itself, as SQLite does by default).
   */
  readonly onCheckpointError?: (error: Error) => void;
}

/**
 * Opens the database named by a URL: `sqlite:<path>` (WAL, checkpointed by a worker thread, foreign
 * keys on, a writer waits up to 5 s for another) or `postgres://…` (a pool). Both speak through the
 * same Kysely query layer.
 *
 * @example
 * const { db, close } = openDatabase("sqlite:./data/pims.db");
 */
export function openDatabase(url: string, options: OpenOptions = {}): Database {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length), options);
  const size = options.poolSize ?? 10;
  const pool = postgresPool(url, options, size);
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  const counterPool = postgresPool(url, options, Math.max(2, Math.ceil(size / 4)), "synchronous_commit=off");
  const counterDb = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: counterPool }) });
  return {
    db,
    counterDb,
    engine: "postgres",
    pool,
    close: () => Promise.all([db.destroy(), counterDb.destroy()]).then(() => undefined),
  };
}

function openSqlite(path: string, options: OpenOptions): Database {
  // An in-memory (":memory:") or temporary ("") database has no WAL, and no file a second
  // connection could open.
  const file = path !== ":memory:" && path !== "";
  if (file) createPrivately(path);
  const database = new SQLite(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const checkpointer = file
    ? startWalCheckpointer(database, path, options.onCheckpointError ? { onError: options.onCheckpointError } : {})
    : undefined;
  const db = new Kysely<DatabaseSchema>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }),
  });
  return {
    db,
    counterDb: db,
    engine: "sqlite",
    pool: undefined,
    // The main connection closes first, then the worker's: the last to close checkpoints what is
    // left and removes the WAL, off the event loop.
    close: () => db.destroy().finally(() => checkpointer?.stop()),
  };
}

/**
 * The folder (0700) and the database file (0600) are created for the server's user only, before
 * SQLite opens them: SQLite gives its -wal and -shm files the mode of the database file. A file
 * that already exists keeps its mode (the operator may have chosen a group).
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * The PostgreSQL driver, loaded when a PostgreSQL database is opened: a SQLite deployment does not
 * carry it in memory (issue 14, peak RSS).
 */
let pgModule: typeof import("pg") | undefined;
const loadPg = (): typeof import("pg") => {
  // Kept once loaded: pg asks for a type parser for each column of each result, and resolving the
  // module anew each time (a createRequire and a path search) was a sixth of a PostgreSQL
  // verification's CPU (bench profile, issue 14).
  pgModule ??= createRequire(import.meta.url)("pg") as typeof import("pg");
  return pgModule;
};

/** int8 (bigint) and numeric columns come back as numbers: every value Pims keeps fits in 2^53. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return loadPg().types.getTypeParser(oid, format);
  },
};

function postgresPool(url: string, options: OpenOptions, max: number, setting?: string): Pool {
  const settings = [...(options.schema ? [`search_path=${options.schema}`] : []), ...(setting ? [setting] : [])];
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    // Names the connections in pg_stat_activity: which process, which schema.
    application_name: options.schema ? `pims:${options.schema}` : "pims",
    idleTimeoutMillis: 30_000,
    types: types as CustomTypesConfig,
    ...(settings.length ? { options: settings.map((s) => `-c ${s}`).join(" ") } : {}),
  });
  // A lost connection surfaces as a failed query (2204); it must never crash the process. The pool
  // listens for errors of idle clients only: a client checked out when its socket dies would emit
  // an 'error' nobody hears (its query is rejected anyway), so every client gets a listener.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
    keepPrepared(client);
  });
  return pool;
}

/**
 * better-sqlite3 with its prepared statements kept: Kysely prepares every query anew, and compiling
 * the same SQL each time was a sixth of a verification's time (bench profile). The SQL texts are
 * parameterized, so few; the cache is bounded all the same.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= 1000) cache.clear();
        statement = database.prepare(sql);
        cache.set(sql, statement);
      }
      return statement as unknown as SqliteStatement;
    },
  };
}

/**
 * Kysely sends every statement as unnamed (parsed and planned on each execution); the SQL texts of
 * compiled statements (db/Prepared.ts) go as named ones instead, which the connection parses once.
 */
function keepPrepared(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const named = (text: unknown, ...rest: unknown[]) => {
    const name = typeof text === "string" && Array.isArray(rest[0]) ? statementName(text) : undefined;
    return name === undefined ? query(text, ...rest) : query({ name, text, values: rest[0] }, ...rest.slice(1));
  };
  // A transaction's deferrable writes are sent together (db/DeferredWrites.ts, decision 0032).
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = deferWrites(named);
}
