import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "./migrate.js";
import { type Database, openDatabase } from "./openDatabase.js";
import { param, prepare, statementName } from "./Prepared.js";
import type { DatabaseSchema } from "./schema.js";
import { DEFAULT_TENANT, forTenant } from "./TenantScope.js";

describe("compiled statements", () => {
  let database: Database;
  // The tables are a tenant's (decision 0028): the statements are compiled on its database.
  let db: Kysely<DatabaseSchema>;
  beforeAll(async () => {
    database = openDatabase("sqlite::memory:");
    await migrate(database.db as never);
    db = forTenant(database.db, DEFAULT_TENANT);
  });
  afterAll(() => database.close());

  const insert = () =>
    prepare(
      db
        .insertInto("rate_limits")
        .values({ key: param<string>("key"), count: param<number>("count"), window_started_at: 7, expires_at: 8 }),
    );
  const byKey = () =>
    prepare(
      db
        .selectFrom("rate_limits")
        .select(["key", "count", "window_started_at"])
        .where("key", "=", param<string>("key")),
    );

  it("binds each execution's values by name, and keeps the constants of the query", async () => {
    const add = insert();
    await add.execute(db, { key: "a", count: 1 });
    await add.execute(db, { count: 2, key: "b" });
    const find = byKey();
    expect(await find.first(db, { key: "a" })).toEqual({ key: "a", count: 1, window_started_at: 7 });
    expect(await find.first(db, { key: "b" })).toEqual({ key: "b", count: 2, window_started_at: 7 });
    expect(await find.first(db, { key: "c" })).toBeUndefined();
  });

  it("runs in the transaction it is given: a rolled-back write is gone", async () => {
    const add = insert();
    const find = byKey();
    await expect(
      db.transaction().execute(async (trx) => {
        await add.execute(trx, { key: "rolled-back", count: 1 });
        expect(await find.first(trx, { key: "rolled-back" })).toBeDefined();
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await find.first(db, { key: "rolled-back" })).toBeUndefined();
  });

  it("names statements for PostgreSQL to keep, except `select *`", () => {
    const find = byKey();
    const sql = find.compiledSql;
    expect(statementName(sql)).toMatch(/^pims_\d+$/);
    const all = prepare(db.selectFrom("rate_limits").selectAll().where("key", "=", param<string>("key")));
    expect(statementName(all.compiledSql)).toBeUndefined();
  });
});
