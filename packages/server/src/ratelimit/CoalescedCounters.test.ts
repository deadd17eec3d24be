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

  it("decides a limit exactly: of 40 hits racing for 25 places, exactly 25 are within it", async () => {
    const counts = await Promise.all(Array.from({ length: 40 }, () => counters.hit("limited", 60_000)));
    expect(counts.filter((count) => count <= 25)).toHaveLength(25);
    expect(new Set(counts).size).toBe(40);
  });

  it("fails every hit of a write that fails, and counts none of them", async () => {
    await database.close();
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => counters.hit("k", 60_000)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    database = openDatabase(`sqlite:${join(dir, "pims.db")}`);
    store = new DatabaseCounters(forTenant(database.db, "default"), systemClock);
    expect(await store.peek("k", 60_000)).toBe(0);
  });
});

describe("DatabaseCounters' hit by more than one", () => {
  it("adds `by` in the window, and starts a new window at `by`", async () => {
    expect(await store.hit("n", 60_000, undefined, 5)).toBe(5);
    expect(await store.hit("n", 60_000, undefined, 3)).toBe(8);
    expect(await store.hit("n", 60_000)).toBe(9);
    // A window of 1 ms is over by the next hit: it starts again at `by`.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.hit("n", 1, undefined, 4)).toBe(4);
  });
});
