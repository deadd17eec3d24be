import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openDatabase } from "@pims/server";
import { type Kysely, sql } from "kysely";
import { expect, it } from "vitest";
import { upTenants } from "./tenantsMigration.js";

// SPIKE (decision 0028): how long the SQLite rebuild of `accounts` keeps a deployment down, on a
// WAL file with 1,000,000 accounts (the bench's large database), and that it keeps every row.
it("the rebuild of 1,000,000 accounts keeps them all, in the default tenant", { timeout: 300_000 }, async () => {
  const database = openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), "pims-spike-")), "large.db")}`);
  try {
    await migrate(database.db as Kysely<unknown>);
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000000)
      insert into accounts (id, login, login_key, password_hash, created_at)
      select 'acc_' || i, 'user' || i, 'user' || i, 'hash', i from n`.execute(database.db);
    const started = performance.now();
    await upTenants(database.db as Kysely<unknown>, "sqlite", 1);
    const seconds = (performance.now() - started) / 1000;
    console.log(`rebuild of accounts, 1,000,000 rows: ${seconds.toFixed(1)} s`);
    const counts = await sql<{
      tenant_id: string;
      n: number;
    }>`select tenant_id, count(*) as n from accounts group by tenant_id`.execute(database.db);
    expect(counts.rows).toEqual([{ tenant_id: "default", n: 1_000_000 }]);
  } finally {
    await database.close();
  }
});
