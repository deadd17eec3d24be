import pg from "pg";

/**
 * Setup file (before each test file, in its worker): the worker gets its own PostgreSQL database,
 * the run's one with `_w<worker number>` appended, created when missing.
 *
 * Why: a server's start-up migration (Kysely's Migrator) looks for its table among the tables of
 * every schema of the database, calling pg_get_serial_sequence on each column. With two workers,
 * one server's look-up fails when the other worker drops or migrates its schema at that moment
 * (`schema "pims_test_…" does not exist`, `column "count" of relation "rate_limits" does not
 * exist`: seen in a full run). Within a worker the test files run one after another, and schemas
 * keep isolating their servers as before.
 */
// Files share a worker process (isolate: false in vitest.config.ts), and this runs before each: the
// run's URL is kept aside the first time, so that the name is built from it, never from its own result.
if (process.env.PIMS_TEST_DATABASE_URL) process.env.PIMS_TEST_RUN_DATABASE_URL ??= process.env.PIMS_TEST_DATABASE_URL;
const base = process.env.PIMS_TEST_RUN_DATABASE_URL;
const worker = process.env.VITEST_POOL_ID;
if (base && worker) {
  const url = new URL(base);
  const name = `${decodeURIComponent(url.pathname.slice(1)) || "postgres"}_w${worker}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) {
      // Another run may create it at the same moment: "already exists" is as good.
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== "42P04" && error.code !== "23505") throw error;
      });
    }
  } finally {
    await client.end();
  }
  url.pathname = `/${encodeURIComponent(name)}`;
  process.env.PIMS_TEST_DATABASE_URL = url.toString();
}
