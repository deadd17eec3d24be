import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openDatabase } from "@pims/server";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { Accounts } from "../../../server/src/accounts/Accounts.js";
import { loginKey } from "../../../server/src/accounts/loginKey.js";
import { param, prepare } from "../../../server/src/db/Prepared.js";
import { executeScoped, forTenant, prepareForTenant, withTenantSlot } from "./TenantScope.js";
import { upTenants } from "./tenantsMigration.js";

// SPIKE (decision 0028): what the tenant plugin costs per query on SQLite (a WAL file, as served),
// "today": today's schema, 2000 accounts, no plugin; "plugin": the upgraded table (migration sketch),
// 2 tenants × 1000 accounts, every query through the plugin. Same owner code on both.
//   npx vitest bench --run -c packages/tests/src/spike/vitest.config.ts

const folder = mkdtempSync(join(tmpdir(), "pims-spike-"));
const todayDatabase = openDatabase(`sqlite:${join(folder, "today.db")}`);
const database = openDatabase(`sqlite:${join(folder, "tenants.db")}`);
const clock = { now: () => Date.now() };
const plain = database.db;
const peugeot = forTenant(plain, "peugeot");
const today = new Accounts(todayDatabase.db, clock, "sqlite");
const scoped = new Accounts(peugeot, clock, "sqlite");
const byLoginToday = prepare(
  todayDatabase.db.selectFrom("accounts").select(["id", "password_hash"]).where("login_key", "=", param<string>("key")),
);
const byLoginScoped = prepare(
  withTenantSlot(plain)
    .selectFrom("accounts")
    .select(["id", "password_hash"])
    .where("login_key", "=", param<string>("key")),
);
const byLoginForPeugeot = prepareForTenant(peugeot, (db) =>
  db.selectFrom("accounts").select(["id", "password_hash"]).where("login_key", "=", param<string>("key")),
);
const selectOf = (db: Kysely<typeof plain extends Kysely<infer S> ? S : never>) =>
  db
    .selectFrom("accounts")
    .innerJoin("devices", "devices.account_id", "accounts.id")
    .select(["accounts.id", "devices.status"])
    .where("accounts.login_key", "=", "user500")
    .where("devices.status", "=", "active");
let n = 0;

beforeAll(async () => {
  await migrate(todayDatabase.db as Kysely<unknown>);
  for (let i = 0; i < 2000; i++) await today.create(`user${i}`, "hash");
  await migrate(plain as Kysely<unknown>);
  await upTenants(plain as Kysely<unknown>, "sqlite", 1);
  await plain
    .insertInto("tenants" as never)
    .values([
      { id: "peugeot", name: "P", created_at: 1 },
      { id: "citroen", name: "C", created_at: 1 },
    ] as never)
    .execute();
  for (const tenant of ["peugeot", "citroen"]) {
    const owner = new Accounts(forTenant(plain, tenant), clock, "sqlite");
    await plain.transaction().execute(async (trx) => {
      for (let i = 0; i < 1000; i++) await owner.create(`user${i}`, "hash", forTenant(trx, tenant));
    });
  }
});
afterAll(() => Promise.all([database.close(), todayDatabase.close()]));

const options = { time: 2000, warmupTime: 500 };

describe("compile a select with a join (Kysely builds and compiles per call)", () => {
  bench("today", () => void selectOf(todayDatabase.db).compile(), options);
  bench("plugin", () => void selectOf(peugeot).compile(), options);
});

describe("compile a select of one table (withLogin's shape)", () => {
  const one = (db: typeof plain) =>
    db.selectFrom("accounts").select(["id", "login"]).where("login_key", "=", "user500");
  bench("today", () => void one(todayDatabase.db).compile(), options);
  bench("plugin", () => void one(peugeot).compile(), options);
});

describe("Accounts.withLogin: build, compile, execute", () => {
  bench("today", async () => void (await today.withLogin("user500")), options);
  bench("plugin", async () => void (await scoped.withLogin("user500")), options);
});

describe("Accounts.create: build, compile, insert (unique per tenant)", () => {
  bench("today", async () => void (await today.create(`t${n++}`, null)), options);
  bench("plugin", async () => void (await scoped.create(`p${n++}`, "hash")), options);
});

describe("compiled statement (db/Prepared.ts): bind and execute", () => {
  bench("today", async () => void (await byLoginToday.first(todayDatabase.db, { key: loginKey("user500") })), options);
  bench(
    "plugin",
    async () => void (await executeScoped(byLoginScoped, peugeot, { key: loginKey("user500") })),
    options,
  );
  bench(
    "compiled per tenant",
    async () => void (await byLoginForPeugeot.first(peugeot, { key: loginKey("user500") })),
    options,
  );
  // The same statement with the tenant given by hand: the slot's cost without the plugin lookup.
  bench(
    "tenant bound by hand",
    async () => void (await byLoginScoped.first(plain, { key: loginKey("user500"), tenant: "peugeot" })),
    options,
  );
});

describe("the tenant's database for a request", () => {
  bench("forTenant(db, tenant)", () => void forTenant(plain, "citroen"), options);
});
