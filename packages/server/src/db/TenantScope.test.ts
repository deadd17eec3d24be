import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../accounts/Accounts.js";
import { deviceIsActive } from "../device/Devices.js";
import { migrate } from "./migrate.js";
import { type Database, openDatabase } from "./openDatabase.js";
import { param, prepare } from "./Prepared.js";
import type { DatabaseSchema } from "./schema.js";
import { acrossTenants, forTenant, TENANT_TABLES, tenantOf, UnscopedQuery, withoutTenant } from "./TenantScope.js";

// The attack these tests stand against: one brand's code path — a handler, an admin query, a
// compiled statement — forgets which tenant it works for, and so reads, changes or takes another
// brand's rows. The scope adds the tenant to every statement shape Pims writes, and refuses the
// shapes it cannot scope (decision 0028).

const clock = { now: () => 1_000 };
let database: Database;
let peugeot: Kysely<DatabaseSchema>;
let opel: Kysely<DatabaseSchema>;

beforeAll(async () => {
  database = openDatabase("sqlite::memory:");
  await migrate(database.db as never);
  await database.db
    .insertInto("tenants")
    .values([
      { id: "peugeot", name: "Peugeot", policy: null, created_at: 1, disabled_at: null },
      { id: "opel", name: "Opel", policy: null, created_at: 1, disabled_at: null },
    ])
    .execute();
  peugeot = forTenant(database.db, "peugeot");
  opel = forTenant(database.db, "opel");
});
afterAll(() => database.close());

const account = (id: string, login: string) => ({
  id,
  login,
  login_key: login,
  password_hash: null,
  created_at: 1,
  pin_recovered_at: null,
});
const device = (id: string, accountId: string, status: "active" | "removed" = "active") => ({
  id,
  account_id: accountId,
  public_key: "k",
  status,
  created_at: 1,
});

describe("statements scoped to the tenant", () => {
  it("an insert gets the tenant, and the same login is two rows in two tenants", async () => {
    await peugeot.insertInto("accounts").values(account("acc_p", "alice")).execute();
    await opel.insertInto("accounts").values(account("acc_o", "alice")).execute();
    const rows = await acrossTenants(database.db)
      .selectFrom("accounts")
      .select(["id", "tenant_id"])
      .orderBy("id")
      .execute();
    expect(rows).toEqual([
      { id: "acc_o", tenant_id: "opel" },
      { id: "acc_p", tenant_id: "peugeot" },
    ]);
  });

  it("a select, with an alias, sees its tenant's rows only", async () => {
    expect(await peugeot.selectFrom("accounts").select("id").execute()).toEqual([{ id: "acc_p" }]);
    expect(await opel.selectFrom("accounts as a").select("a.id").execute()).toEqual([{ id: "acc_o" }]);
    // An id of another tenant is not found, even named exactly.
    expect(await peugeot.selectFrom("accounts").select("id").where("id", "=", "acc_o").execute()).toEqual([]);
  });

  it("a join scopes both tables", async () => {
    await peugeot.insertInto("devices").values(device("dev_1", "acc_p")).execute();
    await opel.insertInto("devices").values(device("dev_1", "acc_o")).execute();
    const joined = await peugeot
      .selectFrom("devices")
      .innerJoin("accounts", "accounts.id", "devices.account_id")
      .select(["devices.id", "accounts.id as account"])
      .execute();
    expect(joined).toEqual([{ id: "dev_1", account: "acc_p" }]);
  });

  it("a subquery is scoped with its query (the device check of an OTP consume)", async () => {
    await peugeot
      .insertInto("otps")
      .values({
        id: "otp_1",
        account_id: "acc_p",
        device_id: "dev_1",
        otp_mac: "m",
        factors: "possession",
        context_hash: null,
        issued_at: 1,
        expires_at: 9,
        consumed_at: null,
        consumed_by: null,
        wrong_guesses: 0,
        methods: null,
        transaction_digest: null,
        transaction_canonical: null,
        transaction_signature: null,
        transaction_signed: null,
      })
      .execute();
    // Opel's dev_1 is active too; removing Peugeot's must make Peugeot's OTP's device inactive.
    await peugeot.updateTable("devices").set({ status: "removed" }).where("id", "=", "dev_1").execute();
    const live = await peugeot
      .selectFrom("otps")
      .select("id")
      .where(deviceIsActive("otps.device_id", "otps.account_id"))
      .execute();
    expect(live).toEqual([]);
    const opelDevice = await opel.selectFrom("devices").select("status").where("id", "=", "dev_1").executeTakeFirst();
    expect(opelDevice?.status).toBe("active");
  });

  it("an update and a delete without a condition reach their tenant's rows only", async () => {
    await peugeot.updateTable("accounts").set({ pin_failures: 3 }).execute();
    expect(await opel.selectFrom("accounts").select("pin_failures").executeTakeFirst()).toEqual({ pin_failures: 0 });
    await opel.deleteFrom("devices").execute();
    expect(await peugeot.selectFrom("devices").select("id").execute()).toEqual([{ id: "dev_1" }]);
  });

  it("an upsert's conflict target is the tenant's: the same key counts apart in two tenants", async () => {
    const hit = (db: Kysely<DatabaseSchema>) =>
      db
        .insertInto("rate_limits")
        .values({ key: "login:alice", count: 1, window_started_at: 1, expires_at: 9 })
        .onConflict((conflict) => conflict.column("key").doUpdateSet({ count: sql<number>`rate_limits.count + 1` }))
        .returning("count")
        .executeTakeFirstOrThrow();
    expect((await hit(peugeot)).count).toBe(1);
    expect((await hit(peugeot)).count).toBe(2);
    expect((await hit(opel)).count).toBe(1);
  });

  it("today's owners, unchanged, work per tenant", async () => {
    const inPeugeot = new Accounts(peugeot, clock, "sqlite");
    const inOpel = new Accounts(opel, clock, "sqlite");
    const created = await inPeugeot.create("bob", "hash-p");
    expect(created).toBeDefined();
    expect(await inOpel.withLogin("bob")).toBeUndefined();
    expect(await inOpel.create("BOB", "hash-o")).toBeDefined();
    expect(await inPeugeot.create("Bob", "again")).toBeUndefined();
  });
});

describe("statements the scope refuses", () => {
  it("the process's database, which has no tenant, refuses every query on a tenant table", async () => {
    const none = withoutTenant(database.db);
    await expect(none.selectFrom("accounts").select("id").execute()).rejects.toThrow(UnscopedQuery);
    await expect(new Accounts(none, clock, "sqlite").withLogin("alice")).rejects.toThrow(UnscopedQuery);
    await expect(none.selectFrom("tenants").select("id").where("id", "=", "peugeot").execute()).resolves.toEqual([
      { id: "peugeot" },
    ]);
    for (const table of TENANT_TABLES)
      expect(() =>
        none
          .selectFrom(table as "accounts")
          .select(sql`1`.as("one"))
          .compile(),
      ).toThrow(UnscopedQuery);
  });

  it("raw SQL naming a tenant table, as text or as sql.table, is refused", async () => {
    await expect(sql`select id from accounts`.execute(peugeot)).rejects.toThrow(UnscopedQuery);
    await expect(sql`select id from ${sql.table("accounts")}`.execute(peugeot)).rejects.toThrow(UnscopedQuery);
    await expect(sql`update "devices" set status = 'active'`.execute(peugeot)).rejects.toThrow(UnscopedQuery);
    // A raw condition on a column of a scoped query is scoped with it.
    const scopedRaw = peugeot
      .selectFrom("accounts")
      .select("login")
      .where(sql<boolean>`${sql.ref("accounts.login")} = ${"alice"}`);
    expect(await scopedRaw.execute()).toEqual([{ login: "alice" }]);
  });

  it("an insert … select reads and writes its own tenant's rows only", async () => {
    // The attack: an insert that copies rows (the consume-and-audit statement of a verification)
    // would, unscoped, read another brand's rows, or write rows that belong to no brand.
    const copy = (db: Kysely<DatabaseSchema>, event: string) =>
      db
        .insertInto("audit_events")
        .columns(["id", "at", "event", "outcome", "account_id"])
        .expression((eb) =>
          eb
            .selectFrom("accounts")
            .select((s) => [
              sql<string>`'evt_' || ${s.ref("accounts.id")}`.as("id"),
              sql<number>`1`.as("at"),
              sql<string>`${event}`.as("event"),
              sql<string>`'success'`.as("outcome"),
              "accounts.id",
            ]),
        );
    expect(copy(peugeot, "copy.peugeot").compile().sql).toMatch(
      /select .*, \? as "tenant_id" from "accounts" where "accounts"\."tenant_id" = \?/,
    );
    await copy(peugeot, "copy.peugeot").execute();
    const rows = await acrossTenants(database.db)
      .selectFrom("audit_events")
      .select(["account_id", "tenant_id"])
      .where("event", "=", "copy.peugeot")
      .execute();
    expect(rows.map((row) => row.account_id)).toContain("acc_p");
    // Only Peugeot's accounts were read (not Opel's acc_o), and every row written is Peugeot's.
    expect(rows.filter((row) => row.tenant_id !== "peugeot" || row.account_id === "acc_o")).toEqual([]);
  });

  it("an insert … select * or without its columns, and a statement writing tenant_id itself, are refused", async () => {
    const starCopy = peugeot
      .insertInto("accounts")
      .columns(["id", "login", "created_at"])
      .expression((eb) => eb.selectFrom("accounts").selectAll());
    expect(() => starCopy.compile()).toThrow(UnscopedQuery);
    const noColumns = peugeot
      .insertInto("accounts")
      .expression((eb) => eb.selectFrom("accounts").select(["id", "login", "created_at"]));
    expect(() => noColumns.compile()).toThrow(UnscopedQuery);
    const spoofed = { ...account("acc_x", "x"), tenant_id: "opel" };
    expect(() =>
      peugeot
        .insertInto("accounts")
        .values(spoofed as never)
        .compile(),
    ).toThrow(UnscopedQuery);
    expect(() =>
      peugeot
        .updateTable("accounts")
        .set({ tenant_id: "opel" } as never)
        .compile(),
    ).toThrow(UnscopedQuery);
  });

  it("MERGE and DDL on a tenant table are refused", async () => {
    const merge = peugeot
      .mergeInto("accounts")
      .using("devices", "devices.account_id", "accounts.id")
      .whenMatched()
      .thenDelete();
    expect(() => merge.compile()).toThrow(UnscopedQuery);
    expect(() => peugeot.schema.dropTable("accounts").compile()).toThrow(UnscopedQuery);
  });
});

describe("compiled statements", () => {
  it("share one SQL text across tenants, and each runs only on its tenant's database", async () => {
    const build = (db: Kysely<DatabaseSchema>) =>
      prepare(db.selectFrom("accounts").select("id").where("login_key", "=", param<string>("key")));
    const forPeugeot = build(peugeot);
    const forOpel = build(opel);
    expect(forPeugeot.compiledSql).toBe(forOpel.compiledSql);
    expect(forPeugeot.compiledSql).toMatch(/"accounts"\."tenant_id" = \?/);
    expect(await forPeugeot.first(peugeot, { key: "alice" })).toEqual({ id: "acc_p" });
    expect(await peugeot.transaction().execute((trx) => forPeugeot.first(trx, { key: "alice" }))).toEqual({
      id: "acc_p",
    });
    expect(tenantOf(peugeot)).toBe("peugeot");
    // Run on Opel's database, it would read Peugeot's rows: refused instead.
    await expect(forPeugeot.first(opel, { key: "alice" })).rejects.toThrow(UnscopedQuery);
    await expect(forPeugeot.first(withoutTenant(database.db), { key: "alice" })).rejects.toThrow(UnscopedQuery);
  });
});
