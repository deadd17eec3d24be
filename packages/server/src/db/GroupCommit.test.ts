import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "./GroupCommit.js";
import { type Database, openDatabase } from "./openDatabase.js";
import type { DatabaseSchema } from "./schema.js";

let dir: string;
let database: Database;
/** Another connection to the same file: it sees only what was committed. */
let observer: SQLite.Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pims-group-"));
  const path = join(dir, "pims.db");
  database = openDatabase(`sqlite:${path}`);
  await sql`create table t (name text primary key)`.execute(database.db);
  await sql`create table parent (id text primary key)`.execute(database.db);
  await sql`create table child (parent_id text references parent (id))`.execute(database.db);
  observer = new SQLite(path, { readonly: true });
});
afterEach(async () => {
  observer.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const committed = () =>
  (observer.prepare("select name from t order by name").all() as { name: string }[]).map((r) => r.name);
const insert = (trx: Kysely<DatabaseSchema>, name: string) => sql`insert into t (name) values (${name})`.execute(trx);

describe("GroupCommit", () => {
  it("answers no caller before the group's commit: what a caller is told succeeded is durable", async () => {
    const group = new GroupCommit(database.db);
    const answered: string[] = [];
    const seenBySecond: { answered: string[]; committed: string[] }[] = [];
    const first = group.run(async (trx) => {
      await insert(trx, "a");
      return "a";
    });
    const second = group.run(async (trx) => {
      await insert(trx, "b");
      // The first has run, in the same transaction: not committed, so not answered either.
      seenBySecond.push({ answered: [...answered], committed: committed() });
      return "b";
    });
    void first.then((value) => answered.push(value));
    void second.then((value) => answered.push(value));
    await Promise.all([first, second]);
    expect(seenBySecond).toEqual([{ answered: [], committed: [] }]);
    expect(answered).toEqual(["a", "b"]);
    expect(committed()).toEqual(["a", "b"]);
  });

  it("runs a group's transactions in order, each seeing the writes of those before it", async () => {
    const group = new GroupCommit(database.db);
    const counts = await Promise.all(
      ["x", "y", "z"].map((name) =>
        group.run(async (trx) => {
          await insert(trx, name);
          const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
          return rows[0]?.n;
        }),
      ),
    );
    expect(counts).toEqual([1, 2, 3]);
  });

  it("undoes only the writes of a transaction that throws; its caller gets its error, the others their answer", async () => {
    const group = new GroupCommit(database.db);
    const results = await Promise.allSettled([
      group.run(async (trx) => insert(trx, "kept-1")),
      group.run(async (trx) => {
        await insert(trx, "undone");
        throw new Error("refused");
      }),
      // A statement that fails (a duplicate key) rolls back to its savepoint too.
      group.run(async (trx) => insert(trx, "kept-1")),
      group.run(async (trx) => insert(trx, "kept-2")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error("refused"));
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(committed()).toEqual(["kept-1", "kept-2"]);
  });

  it("fails every caller of a group whose commit fails, and keeps none of their writes", async () => {
    const group = new GroupCommit(database.db);
    const results = await Promise.allSettled([
      group.run(async (trx) => insert(trx, "lost-1")),
      group.run(async (trx) => {
        // Checked only at the commit: a row pointing at no parent makes the COMMIT itself fail.
        await sql`pragma defer_foreign_keys = on`.execute(trx);
        await sql`insert into child (parent_id) values ('none')`.execute(trx);
      }),
      group.run(async (trx) => insert(trx, "lost-2")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const result of results)
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(committed()).toEqual([]);
    // The connection is usable afterwards: the next group commits.
    await group.run(async (trx) => insert(trx, "next"));
    expect(committed()).toEqual(["next"]);
  });

  it("commits a transaction alone like a transaction of its own (its error rolls it back)", async () => {
    const group = new GroupCommit(database.db);
    await expect(
      group.run(async (trx) => {
        await insert(trx, "alone");
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(committed()).toEqual([]);
    await expect(group.run(async (trx) => insert(trx, "alone"))).resolves.toBeDefined();
    expect(committed()).toEqual(["alone"]);
  });

  it("commits at most maxGroup transactions together: the next ones go in a group of their own", async () => {
    const group = new GroupCommit(database.db, 2);
    const seen: string[][] = [];
    await Promise.all(
      ["p", "q", "r"].map((name) =>
        group.run(async (trx) => {
          seen.push(committed());
          await insert(trx, name);
        }),
      ),
    );
    // p and q share a commit (q sees nothing committed); r runs after it.
    expect(seen).toEqual([[], [], ["p", "q"]]);
    expect(committed()).toEqual(["p", "q", "r"]);
  });

  it("groups what was asked for in one turn: a transaction asked for while a group runs goes in the next", async () => {
    const group = new GroupCommit(database.db);
    let later: Promise<unknown> | undefined;
    let seenByLater: string[] = [];
    await group.run(async (trx) => {
      await insert(trx, "early");
      later = group.run(async (next) => {
        seenByLater = committed();
        await insert(next, "late");
      });
    });
    await later;
    // Had it joined the running group, it would have run before that group's commit.
    expect(seenByLater).toEqual(["early"]);
    expect(committed()).toEqual(["early", "late"]);
  });

  it("fails the whole group, with the work's error as the cause, when SQLite rolled back the whole transaction", async () => {
    const group = new GroupCommit(database.db);
    // RAISE(ROLLBACK) ends the transaction itself: no savepoint is left to roll back to.
    await sql`create trigger whole before insert on t when new.name = 'whole' begin select raise(rollback, 'whole rollback'); end`.execute(
      database.db,
    );
    const results = await Promise.allSettled([
      group.run(async (trx) => insert(trx, "before")),
      group.run(async (trx) => insert(trx, "whole")),
      group.run(async (trx) => insert(trx, "after")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(String(reason.cause ?? reason)).toMatch(/whole rollback/);
    }
    // Nothing written, in the group's transaction or outside it, and the next group commits.
    expect(committed()).toEqual([]);
    await group.run(async (trx) => insert(trx, "next"));
    expect(committed()).toEqual(["next"]);
  });
});
