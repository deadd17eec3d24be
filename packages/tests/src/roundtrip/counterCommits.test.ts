import { openDatabase } from "@pims/server";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";

// Decision 0015: counter hits commit without waiting for the WAL flush on PostgreSQL, on a pool of
// their own; everything else commits synchronously, and counts stay exact.
describe(`rate-limit counters (${TEST_ENGINE})`, () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(() => test.close());

  it("a hit is counted exactly and seen at once by the next check, however many race", async () => {
    const { counters } = test.server.services;
    const key = `test:${Math.random()}`;
    const counts = await Promise.all(Array.from({ length: 40 }, () => counters.hit(key, 60_000)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await counters.peek(key, 60_000)).toBe(40);
  });

  it("hits written together (one write for the hits of a turn) count as that many hits, on this engine's store", async () => {
    const { counters } = test.server.services;
    const key = `test:${Math.random()}`;
    expect(await counters.hit(key, 60_000, undefined, 5)).toBe(5);
    const counts = await Promise.all(Array.from({ length: 20 }, () => counters.hit(key, 60_000)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
    expect(await counters.hit(key, 60_000, undefined, 3)).toBe(28);
    expect(await counters.peek(key, 60_000)).toBe(28);
  });

  it("only the counter writes skip the WAL flush; every other statement commits synchronously", async () => {
    const { databaseUrl, databaseSchema } = test.server.services.config;
    const database = openDatabase(databaseUrl, databaseSchema ? { schema: databaseSchema } : {});
    try {
      if (database.engine === "postgres") {
        const setting = async (db: typeof database.db) =>
          (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronous_commit;
        expect(await setting(database.counterDb)).toBe("off");
        expect(await setting(database.db)).toBe("on");
      } else {
        // One SQLite connection for everything (WAL, synchronous = NORMAL, as before).
        expect(database.counterDb).toBe(database.db);
      }
    } finally {
      await database.close();
    }
  });
});
