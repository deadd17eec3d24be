import { randomUUID } from "node:crypto";
import { migrate, openDatabase } from "@pims/server";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../../../server/src/accounts/Accounts.js";
import type { Database } from "../../../server/src/db/openDatabase.js";
import { param, prepare } from "../../../server/src/db/Prepared.js";
import type { DatabaseSchema } from "../../../server/src/db/schema.js";
import {
  executeScoped,
  forTenant,
  prepareForTenant,
  UnscopedQuery,
  withoutTenant,
  withTenantSlot,
} from "./TenantScope.js";
import { upTenants } from "./tenantsMigration.js";

// The attack: one brand's code path (a handler, an admin query, a compiled statement) forgets to
// say which tenant it works for, and so reads, changes or takes the login of another brand's
// account. SPIKE of decision 0028: the plugin scopes such a query or refuses it; `Accounts` is
// today's owner, unchanged.

const engines = ["sqlite", ...(process.env.PIMS_TEST_DATABASE_URL ? ["postgres"] : [])] as const;
const clock = { now: () => Date.now() };

describe.each(engines)("tenant scope on accounts (%s)", (engine) => {
  let database: Database;
  let schema: string | undefined;
  let legacyId: string;

  beforeAll(async () => {
    schema = engine === "postgres" ? `spike_${randomUUID().slice(0, 8)}` : undefined;
    const url = engine === "postgres" ? (process.env.PIMS_TEST_DATABASE_URL ?? "") : "sqlite::memory:";
    database = openDatabase(url, schema ? { schema } : {});
    await migrate(database.db as Kysely<unknown>, schema);
    // Today's single-tenant data: an account and its device, written before the upgrade.
    const before = new Accounts(database.db, clock, database.engine);
    legacyId = (await before.create("legacy", "hash"))?.id ?? "";
    await database.db
      .insertInto("devices")
      .values({ id: "dev_legacy", account_id: legacyId, public_key: "k", status: "active", created_at: 1 })
      .execute();
    await upTenants(database.db as Kysely<unknown>, database.engine, clock.now());
    await sql`insert into tenants (id, name, created_at) values ('peugeot', 'Peugeot', 1), ('citroen', 'Citroën', 1)`.execute(
      database.db,
    );
  });
  afterAll(async () => {
    if (schema) await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
    await database.close();
  });

  const owner = (db: Kysely<DatabaseSchema>) => new Accounts(db, clock, database.engine);

  it("the same login is two accounts in two tenants, and taken once within one", async () => {
    const peugeot = owner(forTenant(database.db, "peugeot"));
    const citroen = owner(forTenant(database.db, "citroen"));
    const inPeugeot = await peugeot.create("alice", "hash-p");
    const inCitroen = await citroen.create("Alice", "hash-c");
    expect(inPeugeot?.id).toBeDefined();
    expect(inCitroen?.id).toBeDefined();
    expect(inPeugeot?.id).not.toBe(inCitroen?.id);
    // The constraint is (tenant_id, login_key): the second "alice" of one brand is refused by it.
    expect(await peugeot.create("ALICE", "hash-p2")).toBeUndefined();
    expect((await peugeot.withLogin("alice"))?.passwordHash).toBe("hash-p");
    expect((await citroen.withLogin("alice"))?.passwordHash).toBe("hash-c");
    expect(await peugeot.withIds([inCitroen?.id ?? ""])).toEqual([]);
    expect(await citroen.search("alice", 10)).toEqual([inCitroen?.id]);
  });

  it("today's account is the default tenant's after the upgrade, with its device, and no brand's", async () => {
    const upgraded = owner(forTenant(database.db, "default"));
    expect((await upgraded.withLogin("legacy"))?.id).toBe(legacyId);
    expect(await owner(forTenant(database.db, "peugeot")).withLogin("legacy")).toBeUndefined();
    const device = await forTenant(database.db, "default")
      .selectFrom("devices")
      .innerJoin("accounts", "accounts.id", "devices.account_id")
      .select(["devices.id", "accounts.login"])
      .executeTakeFirst();
    expect(device).toEqual({ id: "dev_legacy", login: "legacy" });
    // The foreign key from devices still holds after the rebuild: no device for a missing account.
    await expect(
      database.db
        .insertInto("devices")
        .values({ id: "dev_orphan", account_id: "acc_missing", public_key: "k", status: "active", created_at: 1 })
        .execute(),
    ).rejects.toThrow(/foreign key/i);
  });

  it("a query that forgot its tenant is refused by the process's database, raw SQL included", async () => {
    const unscoped = withoutTenant(database.db);
    await expect(owner(unscoped).withLogin("alice")).rejects.toThrow(UnscopedQuery);
    await expect(owner(unscoped).create("mallory", "hash")).rejects.toThrow(UnscopedQuery);
    await expect(
      unscoped
        .selectFrom("devices")
        .innerJoin("accounts", "accounts.id", "devices.account_id")
        .select("devices.id")
        .execute(),
    ).rejects.toThrow(UnscopedQuery);
    await expect(sql`select id from accounts`.execute(forTenant(database.db, "peugeot"))).rejects.toThrow(
      UnscopedQuery,
    );
    const named = sql`select id from ${sql.table("accounts")}`;
    await expect(named.execute(forTenant(database.db, "peugeot"))).rejects.toThrow(UnscopedQuery);
    const merge = forTenant(database.db, "peugeot")
      .mergeInto("accounts")
      .using("devices", "devices.account_id", "accounts.id")
      .whenMatched()
      .thenDelete();
    expect(() => merge.compile()).toThrow(UnscopedQuery);
    // A raw condition that only refers to a column of a scoped table is scoped with its query.
    const scopedRaw = forTenant(database.db, "peugeot")
      .selectFrom("accounts")
      .select("login")
      .where(sql<boolean>`${sql.ref("accounts.login")} = ${"alice"}`);
    expect(await scopedRaw.execute()).toEqual([{ login: "alice" }]);
    // Tables no tenant owns are untouched by the scope.
    expect(await unscoped.selectFrom("devices").select("id").execute()).toContainEqual({ id: "dev_legacy" });
  });

  it("a tenant's query written without a tenant condition reaches only that tenant's rows", async () => {
    const peugeot = forTenant(database.db, "peugeot");
    await peugeot.updateTable("accounts").set({ pin_failures: 5 }).execute();
    const failures = await database.db.selectFrom("accounts").select(["login", "pin_failures"]).execute();
    expect(failures.sort((a, b) => (a.login < b.login ? -1 : 1))).toEqual([
      { login: "Alice", pin_failures: 0 },
      { login: "alice", pin_failures: 5 },
      { login: "legacy", pin_failures: 0 },
    ]);
    await peugeot.deleteFrom("accounts").where("login", "=", "Alice").execute();
    expect(await owner(forTenant(database.db, "citroen")).withLogin("alice")).toBeDefined();
    const spoofed = {
      id: "acc_x",
      login: "x",
      login_key: "x",
      password_hash: null,
      created_at: 1,
      tenant_id: "citroen",
    };
    await expect(
      peugeot
        .insertInto("accounts")
        .values(spoofed as never)
        .execute(),
    ).rejects.toThrow(UnscopedQuery);
  });

  it("a compiled statement keeps one SQL text and binds the tenant of the database it runs on", async () => {
    const byLogin = prepare(
      withTenantSlot(database.db).selectFrom("accounts").select("id").where("login_key", "=", param<string>("key")),
    );
    expect(byLogin.compiledSql).toMatch(/"accounts"\."tenant_id" = (\?|\$2)/);
    const peugeot = forTenant(database.db, "peugeot");
    const citroen = forTenant(database.db, "citroen");
    const inPeugeot = (await executeScoped(byLogin, peugeot, { key: "alice" })).rows;
    const inCitroen = await citroen.transaction().execute((trx) => executeScoped(byLogin, trx, { key: "alice" }));
    expect(inPeugeot).toEqual([{ id: (await owner(peugeot).withLogin("alice"))?.id }]);
    expect(inCitroen.rows).toEqual([{ id: (await owner(citroen).withLogin("alice"))?.id }]);
    expect(() => executeScoped(byLogin, withoutTenant(database.db), { key: "alice" })).toThrow(UnscopedQuery);
  });

  it("a statement compiled for one tenant runs only on that tenant's database", async () => {
    const peugeot = forTenant(database.db, "peugeot");
    const build = (db: Kysely<DatabaseSchema>) =>
      db.selectFrom("accounts").select("id").where("login_key", "=", param<string>("key"));
    const forPeugeot = prepareForTenant(peugeot, build);
    const forCitroen = prepareForTenant(forTenant(database.db, "citroen"), build);
    expect(forPeugeot.compiledSql).toBe(forCitroen.compiledSql);
    const row = await peugeot.transaction().execute((trx) => forPeugeot.first(trx, { key: "alice" }));
    expect(row).toEqual({ id: (await owner(peugeot).withLogin("alice"))?.id });
    expect(() => forPeugeot.first(forTenant(database.db, "citroen"), { key: "alice" })).toThrow(UnscopedQuery);
    expect(() => prepareForTenant(withoutTenant(database.db), build)).toThrow(UnscopedQuery);
  });
});
