import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../Clock.js";
import { migrate } from "../db/migrate.js";
import { type Database, openDatabase } from "../db/openDatabase.js";
import { forTenant } from "../db/TenantScope.js";
import { CoalescedCounters } from "./CoalescedCounters.js";
import type { Counters } from "./Counters.js";
import { DatabaseCounters } from "./DatabaseCounters.js";

let dir: string;
let database: Database;
let store: DatabaseCounters;
/** The store's hits as it was asked for them: [key, by]. */
let writes: [string, number][];
let counters: CoalescedCounters;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pims-coalesced-"));
  database = openDatabase(`sqlite:${join(dir, "pims.db")}`);
  await migrate(database.db as never);
  // A store outside any transaction, as PostgreSQL's counter pool and Redis are.
  store = new DatabaseCounters(forTenant(database.db, "default"), systemClock);
  writes = [];
  const observed: Counters = {
    joinsTransactions: false,
    hit: (key, windowMs, within, by) => {
      writes.push([key, by ?? 1]);
      return store.hit(key, windowMs, within, by);
    },
    peek: (key, windowMs) => store.peek(key, windowMs),
    refund: (key) => store.refund(key),
    reset: (key) => store.reset(key),
    purge: () => store.purge(),
  };
  counters = new CoalescedCounters(observed);
});
afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("CoalescedCounters", () => {
  it("writes the hits of one turn on one key once, and gives each the count it would have had alone", async () => {
    const counts = await Promise.all(Array.from({ length: 10 }, () => counters.hit("k", 60_000)));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(writes).toEqual([["k", 10]]);
    expect(await store.peek("k", 60_000)).toBe(10);
  });

  it("keeps counting across turns, one write per key per turn", async () => {
    await Promise.all([counters.hit("a", 60_000), counters.hit("b", 60_000), counters.hit("a", 60_000)]);
    const next = await Promise.all([counters.hit("a", 60_000), counters.hit("b", 60_000)]);
    expect(next).toEqual([3, 2]);
    expect(writes).toEqual([
      ["a", 2],
      ["b", 1],
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("decides a limit exactly when another process hits the same key: of 40 racing for 25 places, exactly 25 are within it", async () => {
    // Another process: its own connection to the file, its hits one by one, written at once.
    const other = openDatabase(`sqlite:${join(dir, "pims.db")}`);
    try {
      const elsewhere = new DatabaseCounters(forTenant(other.db, "default"), systemClock);
      const counts = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? elsewhere : counters).hit("limited", 60_000)),
      );
      expect(counts.filter((count) => count <= 25)).toHaveLength(25);
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(writes).toEqual([["limited", 20]]);
    } finally {
      await other.close();
    }
  });

  it("fails every hit of a write that fails, and counts none of them", async () => {
    await database.close();
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => counters.hit("k", 60_000)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(writes).toEqual([["k", 3]]);
    database = openDatabase(`sqlite:${join(dir, "pims.db")}`);
    store = new DatabaseCounters(forTenant(database.db, "default"), systemClock);
    expect(await store.peek("k", 60_000)).toBe(0);
  });
});

describe("DatabaseCounters' hit by more than one", () => {
  it("adds `by` in the window, and starts a new window at `by`", async () => {
    let now = 1_000_000;
    const clocked = new DatabaseCounters(forTenant(database.db, "default"), { now: () => now });
    expect(await clocked.hit("n", 60_000, undefined, 5)).toBe(5);
    expect(await clocked.hit("n", 60_000, undefined, 3)).toBe(8);
    expect(await clocked.hit("n", 60_000)).toBe(9);
    now += 60_000;
    expect(await clocked.hit("n", 60_000, undefined, 4)).toBe(4);
  });
});
