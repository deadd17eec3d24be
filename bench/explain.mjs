// The query plans of Pims' hot statements (the ones compiled once, db/Prepared.ts) on the large
// database of the bench: `node bench/explain.mjs sqlite|postgres` prints Markdown for bench/README.md.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPimsServer, loadConfig } from "@pims/server";
import SQLite from "better-sqlite3";
import pg from "pg";
import { writeFixtures } from "./lib/fixtures.mjs";
import { largeAccountId, largeDatabase } from "./lib/largeDatabase.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { preparedSql } = await import(join(ROOT, "packages/server/dist/db/Prepared.js"));
const engine = process.argv[2] ?? "sqlite";
const POSTGRES = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const runDir = await mkdtemp(join(tmpdir(), "pims-explain-"));
const large = await largeDatabase({
  engine,
  postgresUrl: POSTGRES,
  cacheDir: process.env.BENCH_CACHE_DIR ?? join(ROOT, "bench/.cache"),
  runDir,
  accounts: Number(process.env.BENCH_LARGE_ACCOUNTS ?? 1_000_000),
  auditRows: Number(process.env.BENCH_LARGE_AUDIT ?? 5_000_000),
  log: (text) => process.stderr.write(`${text}\n`),
});
// Building the server compiles its statements; it never listens.
const server = await createPimsServer({
  config: loadConfig({
    PIMS_DATA_DIR: runDir,
    PIMS_DATABASE_URL: large.databaseUrl,
    ...(large.schema ? { PIMS_DATABASE_SCHEMA: large.schema } : {}),
    PIMS_SECRET_KEY: randomBytes(32).toString("base64url"),
  }),
  logDestination: { write: () => true },
});
// The hot statements, and the periodic purges (once a minute, on tables that grow with traffic).
// The OTPs of a bench run, so the OTP statements are planned on a table with rows.
await writeFixtures({
  databaseUrl: large.databaseUrl,
  schema: large.schema,
  secretKey: randomBytes(32).toString("base64url"),
  existing: large.sample(4000),
  otpsPerAccount: 60,
});
// One verification, so the statements compiled at their first use are among them (the
// verification's statement on PostgreSQL): an unknown OTP, which consumes nothing.
const { key } = await server.services.relyingParties.create("explain");
await server.app.inject({
  method: "POST",
  url: "/v1/rp/verify",
  headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
  payload: JSON.stringify({ account: largeAccountId(500_000), otp: "00000000" }),
});
const statements = [
  ...preparedSql(),
  'delete from "sessions" where "refresh_expires_at" < ?',
  'delete from "otps" where "expires_at" < ?',
  'delete from "request_nonces" where "expires_at" < ?',
];
const sample = largeAccountId(500_000);
const out = [];
if (engine === "sqlite") {
  const db = new SQLite(large.databaseUrl.slice("sqlite:".length), { readonly: true });
  for (const text of statements) {
    const count = (text.match(/\?/g) ?? []).length;
    const plan = db.prepare(`explain query plan ${text}`).all(Array.from({ length: count }, () => sample));
    out.push(`${text}\n${plan.map((row) => `  ${row.detail}`).join("\n")}`);
  }
  db.close();
} else {
  const client = new pg.Client({ connectionString: POSTGRES, options: `-c search_path=${large.schema}` });
  await client.connect();
  await client.query("analyze");
  // Tables the large database leaves empty (devices, PIN verifiers, counters, nonces) would be
  // planned as scans of nothing: the plans show which index carries each statement instead.
  await client.query("set enable_seqscan = off");
  for (const [i, sqliteText] of statements.entries()) {
    let n = 0;
    const text = sqliteText.includes("?") ? sqliteText.replace(/\?/g, () => `$${++n}`) : sqliteText;
    await client.query(`prepare explain_${i} as ${text}`);
    const { rows } = await client.query(
      "select parameter_types::text[] as types from pg_prepared_statements where name = $1",
      [`explain_${i}`],
    );
    // An array parameter (the verifications of one turn, relyingParty/ConsumeBatch.ts) gets one element.
    const value = (type) => (/int|numeric/.test(type) ? "0" : `'${sample}'`);
    const values = rows[0].types.map((type) =>
      type.endsWith("[]") ? `array[${value(type.slice(0, -2))}]::${type}` : value(type),
    );
    const plan = await client.query(`explain execute explain_${i}${values.length ? `(${values.join(", ")})` : ""}`);
    out.push(`${text}\n${plan.rows.map((row) => `  ${row["QUERY PLAN"]}`).join("\n")}`);
    await client.query(`deallocate explain_${i}`);
  }
  await client.end();
}
await server.close();
await large.release();
await rm(runDir, { recursive: true, force: true });
process.stdout.write(`${out.join("\n\n")}\n`);
