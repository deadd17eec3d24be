import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_TENANT, forTenant, migrate, openDatabase } from "@pims/server";
import { sql } from "kysely";
import { insertBatched, passwordHash } from "./fixtures.mjs";

/**
 * Bumped whenever the generated data or the migrations under it change: a cached database of
 * another version is rebuilt. 2: migrations 0005 and 0006 come before 0007 (Kysely refuses a
 * database that ran 0007 without them).
 */
const FIXTURE_VERSION = 2;
const EVENTS = ["otp.verify", "otp.issue", "pin.verify", "sms.send", "device.enroll"];
const DAY = 86_400_000;

export const largeAccountId = (i) => `acc_large${String(i).padStart(7, "0")}`;

/**
 * The large database of the flat-cost scenario: `accounts` accounts with a session each and
 * `auditRows` audit events spread over 90 days, written through Pims' own migrations and query layer
 * (Kysely, multi-row inserts, one transaction). Built once and cached — SQLite: a file under
 * `cacheDir`, copied for each run; PostgreSQL: a schema of its own, kept between runs and cleaned
 * of the previous run's OTPs and audit rows — since building it takes minutes.
 *
 * Resolves `{ databaseUrl, schema, sample, release }`: `sample(n)` gives n account ids spread over
 * the whole range (so the benchmark's lookups land all over the indexes), `release()` deletes the
 * run's copy (SQLite) or the run's rows (PostgreSQL).
 */
export async function largeDatabase({ engine, postgresUrl, cacheDir, runDir, accounts, auditRows, log }) {
  const key = createHash("sha256").update(`${FIXTURE_VERSION}|${accounts}|${auditRows}`).digest("hex").slice(0, 10);
  const sample = (n) => {
    const step = Math.max(1, Math.floor(accounts / n));
    return Array.from({ length: Math.min(n, accounts) }, (_, i) => largeAccountId(i * step));
  };
  if (engine === "sqlite") {
    const cached = join(cacheDir, `large-${key}.db`);
    if (!(await exists(cached))) {
      await mkdir(cacheDir, { recursive: true });
      const building = `${cached}.building`;
      await rm(building, { force: true });
      await build({ url: `sqlite:${building}`, accounts, auditRows, log, sqlite: true });
      await rename(building, cached);
    } else {
      log(`  large database: cached ${cached}`);
      await migrateForward(`sqlite:${cached}`);
    }
    const path = join(runDir, "large.db");
    await copyFile(cached, path);
    return { databaseUrl: `sqlite:${path}`, schema: undefined, sample, release: () => rm(path, { force: true }) };
  }
  const schema = `pims_bench_large_${key}`;
  const { db, close } = openDatabase(postgresUrl, { schema });
  let built;
  try {
    // The schema's comment says the build completed (and when): no table of the bench's own in a
    // database that test suites introspect.
    const marker =
      await sql`select obj_description(oid, 'pg_namespace') as comment from pg_namespace where nspname = ${schema}`.execute(
        db,
      );
    built = /built_at=(\d+)/.exec(marker.rows[0]?.comment ?? "")?.[1];
  } finally {
    await close();
  }
  if (built === undefined) {
    const admin = openDatabase(postgresUrl);
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
    await admin.close();
    built = await build({ url: postgresUrl, schema, accounts, auditRows, log, sqlite: false });
  } else {
    log(`  large database: cached schema ${schema}`);
    await migrateForward(postgresUrl, schema);
  }
  const clean = async () => {
    const { db: run, close: done } = openDatabase(postgresUrl, { schema });
    await sql`delete from otps`.execute(run);
    await sql`delete from rate_limits`.execute(run);
    await sql`delete from relying_parties`.execute(run);
    await sql`delete from audit_events where at > ${Number(built)}`.execute(run);
    await sql`vacuum analyze otps`.execute(run);
    await done();
  };
  await clean();
  return { databaseUrl: postgresUrl, schema, sample, release: clean };
}

async function build({ url, schema, accounts, auditRows, log, sqlite }) {
  const started = performance.now();
  log(`  large database: building ${accounts} accounts + sessions, ${auditRows} audit rows (cached afterwards)…`);
  const { db, close } = openDatabase(url, schema ? { schema } : {});
  try {
    await migrate(db, schema);
    // Generation only: no fsync per page while the fixture is written (the file is renamed into
    // the cache once complete, so a crash leaves no half-built cache).
    if (sqlite) {
      await sql`pragma synchronous = off`.execute(db);
      // Random keys (token digests) go into unique indexes: a page cache that holds them.
      await sql`pragma cache_size = -524288`.execute(db);
    }
    const password = await passwordHash();
    const now = Date.now();
    const hex = () => randomBytes(32).toString("hex");
    await forTenant(db, DEFAULT_TENANT)
      .transaction()
      .execute(async (trx) => {
        await insertBatched(trx, "accounts", accounts, (i) => ({
          id: largeAccountId(i),
          login: `large-${i}@example.com`,
          login_key: `large-${i}@example.com`,
          password_hash: password,
          created_at: now - 90 * DAY + Math.floor((i / accounts) * 90 * DAY),
        }));
        log(`    accounts written (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        await insertBatched(trx, "sessions", accounts, (i) => ({
          id: `ses_large${String(i).padStart(7, "0")}`,
          account_id: largeAccountId(i),
          access_hash: hex(),
          access_expires_at: now + 3_600_000,
          refresh_hash: hex(),
          previous_refresh_hash: null,
          refresh_expires_at: now + 30 * DAY,
          created_at: now,
          revoked_at: null,
        }));
        log(`    sessions written (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        // In time order, as the server appends them; each for a random account.
        const from = now - 90 * DAY;
        await insertBatched(trx, "audit_events", auditRows, (i) => {
          const at = from + Math.floor((i / auditRows) * 90 * DAY);
          return {
            id: `evt_${at.toString(36).padStart(9, "0")}${randomBytes(10).toString("base64url")}`,
            at,
            event: EVENTS[i % EVENTS.length],
            outcome: i % 7 === 0 ? "failure" : "success",
            account_id: largeAccountId(Math.floor(Math.random() * accounts)),
            device_id: "dev_large",
            client_address: "192.0.2.1",
            detail: '{"relyingParty":"rp_large"}',
          };
        });
        log(`    audit rows written (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        if (!sqlite) {
          await sql.raw(`comment on schema ${schema} is 'pims bench large database, built_at=${now}'`).execute(trx);
        }
      });
    if (sqlite) await sql`pragma wal_checkpoint(truncate)`.execute(db);
    else await sql`analyze`.execute(db);
    log(`  large database built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return now;
  } finally {
    await close();
  }
}

/** A cache built before a new migration gets it (once, on the cache itself, not on each run's copy). */
async function migrateForward(url, schema) {
  const { db, close } = openDatabase(url, schema ? { schema } : {});
  try {
    await migrate(db, schema);
  } finally {
    await close();
  }
}

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
