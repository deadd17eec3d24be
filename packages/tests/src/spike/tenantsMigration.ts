import { type Kysely, sql } from "kysely";
import type { Engine } from "../../../server/src/db/openDatabase.js";

/**
 * SPIKE (decision 0028, proposed): what migration 0011 would do for `accounts`, on today's schema.
 * The `tenants` table with the default tenant, then `accounts.tenant_id` (no column default: an
 * insert that escaped the scope fails NOT NULL instead of landing in the default tenant), the login
 * unique per tenant, and (tenant_id, id) unique so that child tables can reference it.
 *
 * SQLite cannot drop a column's UNIQUE: the table is rebuilt (sqlite.org/lang_altertable.html, the
 * 12 steps), with foreign keys off — Kysely runs SQLite migrations outside a transaction, so the
 * pragma takes effect — and checked before they are on again. Children keep referring to
 * "accounts" by name, so they need no change for the rename.
 */
export async function upTenants(db: Kysely<unknown>, engine: Engine, now: number): Promise<void> {
  await sql`create table tenants (id text primary key, name text not null, created_at bigint not null, disabled_at bigint)`.execute(
    db,
  );
  await sql`insert into tenants (id, name, created_at) values ('default', 'Default', ${now})`.execute(db);
  if (engine === "postgres") {
    await sql`alter table accounts add column tenant_id text not null default 'default' references tenants (id)`.execute(
      db,
    );
    await sql`alter table accounts alter column tenant_id drop default`.execute(db);
    await sql`alter table accounts drop constraint accounts_login_key_key`.execute(db);
    await sql`alter table accounts add constraint accounts_tenant_login unique (tenant_id, login_key)`.execute(db);
    await sql`alter table accounts add constraint accounts_tenant_id unique (tenant_id, id)`.execute(db);
    return;
  }
  await sql`pragma foreign_keys = off`.execute(db);
  await db.transaction().execute(async (trx) => {
    await sql`create table accounts_new (
      tenant_id text not null references tenants (id),
      id text primary key,
      login text not null,
      login_key text,
      password_hash text,
      created_at bigint not null,
      pin_failures integer not null default 0,
      active_devices integer not null default 0,
      pin_recovered_at bigint,
      constraint accounts_tenant_login unique (tenant_id, login_key),
      constraint accounts_tenant_id unique (tenant_id, id))`.execute(trx);
    await sql`insert into accounts_new
      select 'default', id, login, login_key, password_hash, created_at, pin_failures, active_devices, pin_recovered_at
      from accounts`.execute(trx);
    await sql`drop table accounts`.execute(trx);
    await sql`alter table accounts_new rename to accounts`.execute(trx);
    const broken = await sql`pragma foreign_key_check`.execute(trx);
    if (broken.rows.length > 0) throw new Error(`foreign keys broken by the rebuild: ${JSON.stringify(broken.rows)}`);
  });
  await sql`pragma foreign_keys = on`.execute(db);
}
