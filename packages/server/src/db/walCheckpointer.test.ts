import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./openDatabase.js";
import { SAFETY_NET_PAGES, startWalCheckpointer } from "./walCheckpointer.js";

let dir: string;
let path: string;
const open: SQLite.Database[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pims-wal-"));
  path = join(dir, "pims.db");
});
afterEach(() => {
  for (const connection of open.splice(0)) if (connection.open) connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A connection set up as openDatabase sets up its own. */
function connect(): SQLite.Database {
  const connection = new SQLite(path);
  open.push(connection);
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = NORMAL");
  connection.exec("create table if not exists t (x blob)");
  return connection;
}

/** `rows` commits of one row of 4,000 bytes: three WAL pages each (leaf, root, and the header page). */
function write(connection: SQLite.Database, rows: number): void {
  const insert = connection.prepare("insert into t values (randomblob(4000))");
  for (let i = 0; i < rows; i++) insert.run();
}

const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

/** Waits for the worker's first checkpoint: a WAL file never shrinks, so what is written before the thread is up stays its size. */
async function started(connection: SQLite.Database): Promise<void> {
  write(connection, 10);
  await until(() => size(path) > 10 * 4000);
}

describe("WAL checkpoints in a worker thread", () => {
  it("copies the WAL into the database file without the main connection checkpointing", async () => {
    const main = connect();
    const checkpointer = startWalCheckpointer(main, path, { intervalMs: 20 });
    // The main connection's own auto-checkpoint is only the safety net, far above what is written.
    expect(main.pragma("wal_autocheckpoint", { simple: true })).toBe(SAFETY_NET_PAGES);
    await started(main);
    // 1,200 rows (3 WAL pages each) in batches, the worker given time between them, as between requests.
    for (let batch = 0; batch < 12; batch++) {
      write(main, 100);
      await sleep(100);
    }
    await until(() => size(path) > 1210 * 4000);
    // Checkpointed and started again from the beginning: the WAL file holds one or two batches
    // (~1.2 MB each) of the 15 MB written, all of which the main connection alone would keep.
    expect(size(`${path}-wal`)).toBeLessThan(4_000_000);
    expect(main.prepare("select count(*) from t").pluck().get()).toBe(1210);
    await checkpointer.stop();
  });

  it("stop() ends the thread and closes its connection: the last connection to close removes the WAL", async () => {
    const main = connect();
    const checkpointer = startWalCheckpointer(main, path, { intervalMs: 20 });
    write(main, 50);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await checkpointer.stop();
    main.close();
    // Another connection still open (a worker not stopped) would keep the -wal and -shm files.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(`${path}-shm`)).toBe(false);
    expect(new SQLite(path, { readonly: true }).prepare("select count(*) from t").pluck().get()).toBe(50);
  });

  it("a worker that fails is reported; writes go on and the main connection checkpoints again", async () => {
    const main = connect();
    const errors: Error[] = [];
    // A file the worker cannot open: its thread fails at once.
    startWalCheckpointer(main, join(dir, "missing", "pims.db"), { intervalMs: 20, onError: (e) => errors.push(e) });
    await until(() => errors.length > 0);
    expect(errors[0]?.message).toMatch(/unable to open|directory does not exist|no such file/i);
    // SQLite's default threshold again: 1,100 pages cross it, so the main connection copies them.
    expect(main.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    write(main, 1100);
    expect(size(path)).toBeGreaterThan(1000 * 4000);
    expect(main.prepare("select count(*) from t").pluck().get()).toBe(1100);
    expect(errors).toHaveLength(1);
  });

  it("two connections on one file, each with its worker, both write and both workers keep working", async () => {
    const errors: Error[] = [];
    const one = connect();
    const two = connect();
    const first = startWalCheckpointer(one, path, { intervalMs: 5, onError: (e) => errors.push(e) });
    const second = startWalCheckpointer(two, path, { intervalMs: 5, onError: (e) => errors.push(e) });
    await started(one);
    for (let batch = 0; batch < 10; batch++) {
      write(batch % 2 ? one : two, 100);
      await sleep(60);
    }
    await until(() => size(path) > 1010 * 4000);
    // Bounded by the checkpoints of either worker: 12 MB written, at most a couple of batches kept.
    expect(size(`${path}-wal`)).toBeLessThan(3_000_000);
    expect(two.prepare("select count(*) from t").pluck().get()).toBe(1010);
    await Promise.all([first.stop(), second.stop()]);
    expect(errors).toEqual([]);
  });
});

describe("openDatabase", () => {
  it("checkpoints a file database in its worker and stops it at close()", async () => {
    const database = openDatabase(`sqlite:${path}`);
    await sql`create table t (x blob)`.execute(database.db);
    for (let batch = 0; batch < 6; batch++) {
      for (let i = 0; i < 100; i++) await sql`insert into t values (randomblob(4000))`.execute(database.db);
      await sleep(150);
    }
    // 600 pages: below even SQLite's default threshold, so only the worker copies them.
    await until(() => size(path) > 600 * 4000);
    await database.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("an in-memory database works without a worker", async () => {
    const database = openDatabase("sqlite::memory:");
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(rows).toEqual([{ one: 1 }]);
    await database.close();
  });
});
