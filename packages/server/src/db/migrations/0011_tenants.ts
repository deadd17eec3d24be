import { type Kysely, PostgresAdapter, SqliteAdapter, sql } from "kysely";

/**
 * Tenants (issue 16, docs/decisions/0028-tenants.md): the deployment tables `tenants` (with the
 * `default` tenant, which serves today's data and requests without a client id, and `_deployment`,
 * never served, under which deployment-wide counters count), `apps` and `tenant_admin_keys`; every
 * other table but `assertion_keys` gets `tenant_id` (not null, no column default: an insert that
 * escaped the tenant scope fails instead of landing in the default tenant), existing rows in
 * `default`. Uniqueness becomes per tenant, children of `accounts` reference `(tenant_id,
 * account_id)` so that no row can point at another tenant's account, and indexes lead with
 * `tenant_id`. Random ids, token hashes and relying-party key hashes stay unique deployment-wide.
 *
 * PostgreSQL alters each table in place (the column added with a default, metadata only, then the
 * default dropped; constraints by the names migrations 0001–0010 gave them). SQLite cannot change a
 * constraint: each table is rebuilt (sqlite.org/lang_altertable.html, the 12 steps) with foreign
 * keys off — Kysely runs SQLite migrations outside a transaction, so the pragma applies — in one
 * transaction, checked by `pragma foreign_key_check` before it commits.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const now = Date.now();
  if (adapter instanceof PostgresAdapter) {
    await deploymentTables(db, now);
    await upPostgres(db);
    await toDeployment(db);
  } else if (adapter instanceof SqliteAdapter) {
    await upSqlite(db, now);
  } else {
    throw new Error("migration 0011_tenants: an engine other than SQLite or PostgreSQL");
  }
}

/**
 * What counts across tenants from now on (decision 0028) keeps counting: the signed requests'
 * nonces (a request recorded before the upgrade is not replayable after it), the SMS quotas of
 * numbers and addresses and the breakers, and the address limits of logins and sign-ups move to
 * the `_deployment` tenant.
 */
async function toDeployment(db: Kysely<unknown>): Promise<void> {
  await run(db, "update request_nonces set tenant_id = '_deployment'");
  await run(
    db,
    `update rate_limits set tenant_id = '_deployment' where ${DEPLOYMENT_COUNTERS.map((prefix) => `key like '${prefix}%'`).join(" or ")}`,
  );
}

/** Counter keys of the deployment (sms/SmsPumpingGuard.ts, accounts/login.ts, accounts/createAccount.ts). */
const DEPLOYMENT_COUNTERS = [
  "sms:phone:",
  "sms:trusted:",
  "sms:address:",
  "sms:breaker:",
  "login-failures:address:",
  "accounts-created:address:",
];

const TENANT_COLUMN = "tenant_id text not null references tenants (id)";

/** A foreign key from a child of `accounts` to its account in the same tenant. */
const accountKey = (table: string) =>
  `constraint ${table}_account_fkey foreign key (tenant_id, account_id) references accounts (tenant_id, id) on delete cascade`;

interface Index {
  readonly name: string;
  readonly columns: string;
  /** Its columns change (PostgreSQL drops and recreates it; SQLite recreates every index). */
  readonly changed?: true;
}

interface TableChange {
  readonly table: string;
  /** SQLite: today's columns, in order, as the rebuilt table declares them (keys moved below). */
  readonly columns: readonly string[];
  /** PostgreSQL: the constraints of 0001–0010 to drop. */
  readonly drop: readonly string[];
  /** New table constraints (both engines). */
  readonly add: readonly string[];
  readonly indexes: readonly Index[];
}

/** Parents before children: `accounts` first, `sessions` before `retired_refresh_tokens`. */
const TABLES: readonly TableChange[] = [
  {
    table: "accounts",
    columns: [
      "id text primary key",
      "login text not null",
      "login_key text",
      "password_hash text",
      "created_at bigint not null",
      "pin_failures integer default 0 not null",
      "active_devices integer default 0 not null",
      "pin_recovered_at bigint",
    ],
    drop: ["accounts_login_key_key"],
    add: [
      "constraint accounts_tenant_login unique (tenant_id, login_key)",
      "constraint accounts_tenant_id unique (tenant_id, id)",
    ],
    indexes: [],
  },
  {
    table: "sessions",
    columns: [
      "id text primary key",
      "account_id text not null",
      "access_hash text not null unique",
      "access_expires_at bigint not null",
      "refresh_hash text not null unique",
      "previous_refresh_hash text",
      "refresh_expires_at bigint not null",
      "created_at bigint not null",
      "revoked_at bigint",
    ],
    drop: ["sessions_account_id_fkey"],
    add: [accountKey("sessions")],
    indexes: [
      { name: "sessions_account", columns: "tenant_id, account_id", changed: true },
      { name: "sessions_previous_refresh", columns: "previous_refresh_hash" },
      { name: "sessions_refresh_expiry", columns: "refresh_expires_at" },
    ],
  },
  {
    table: "retired_refresh_tokens",
    columns: [
      "refresh_hash text primary key",
      "session_id text not null references sessions (id) on delete cascade",
      "retired_at bigint not null",
    ],
    drop: [],
    add: [],
    indexes: [{ name: "retired_refresh_tokens_session", columns: "session_id" }],
  },
  {
    table: "external_identities",
    columns: [
      "issuer text not null",
      "subject text not null",
      "account_id text not null",
      "created_at bigint not null",
    ],
    drop: ["external_identities_pk", "external_identities_account_id_fkey"],
    add: [
      "constraint external_identities_pk primary key (tenant_id, issuer, subject)",
      accountKey("external_identities"),
    ],
    indexes: [],
  },
  {
    table: "trusted_phones",
    columns: ["account_id text not null", "phone_e164 text not null", "trusted_at bigint not null"],
    drop: ["trusted_phones_pkey", "trusted_phones_phone_e164_key", "trusted_phones_account_id_fkey"],
    add: [
      "constraint trusted_phones_pkey primary key (tenant_id, account_id)",
      "constraint trusted_phones_tenant_phone unique (tenant_id, phone_e164)",
      accountKey("trusted_phones"),
    ],
    indexes: [],
  },
  {
    table: "sms_codes",
    columns: [
      "id text primary key",
      "account_id text not null",
      "purpose text not null",
      "phone_e164 text not null",
      "code_mac text not null",
      "key_id text not null",
      "created_at bigint not null",
      "expires_at bigint not null",
      "attempts integer default 0 not null",
      "consumed_at bigint",
    ],
    drop: ["sms_codes_account_id_fkey"],
    add: [accountKey("sms_codes")],
    indexes: [
      { name: "sms_codes_account_purpose", columns: "tenant_id, account_id, purpose, created_at", changed: true },
      { name: "sms_codes_expiry", columns: "expires_at" },
    ],
  },
  {
    table: "pin_verifiers",
    columns: [
      "account_id text not null",
      "key_id text not null",
      "salt text not null",
      "sealed text not null",
      "set_at bigint not null",
    ],
    drop: ["pin_verifiers_pkey", "pin_verifiers_account_id_fkey"],
    add: ["constraint pin_verifiers_pkey primary key (tenant_id, account_id)", accountKey("pin_verifiers")],
    indexes: [],
  },
  {
    table: "devices",
    columns: [
      "id text not null",
      "account_id text not null",
      "public_key text not null",
      "status text not null",
      "created_at bigint not null",
      "enrolled_at bigint",
      "removed_at bigint",
      "enrollment_validated_until bigint",
      "last_used_at bigint",
      "pin_proven_at bigint",
    ],
    drop: ["devices_pkey", "devices_account_id_fkey"],
    add: ["constraint devices_pkey primary key (tenant_id, id)", accountKey("devices")],
    indexes: [{ name: "devices_account", columns: "tenant_id, account_id, status", changed: true }],
  },
  {
    table: "otps",
    columns: [
      "id text primary key",
      "account_id text not null",
      "device_id text not null",
      "otp_mac text not null",
      "factors text not null",
      "context_hash text",
      "issued_at bigint not null",
      "expires_at bigint not null",
      "consumed_at bigint",
      "consumed_by text",
      "wrong_guesses integer default 0 not null",
      "transaction_digest text",
      "transaction_canonical text",
      "transaction_signature text",
      "transaction_signed text",
      "methods text",
    ],
    drop: ["otps_account_id_fkey"],
    add: [accountKey("otps")],
    indexes: [
      { name: "otps_lookup", columns: "tenant_id, account_id, otp_mac", changed: true },
      { name: "otps_expiry", columns: "expires_at" },
    ],
  },
  {
    table: "audit_events",
    columns: [
      "id text primary key",
      "at bigint not null",
      "event text not null",
      "outcome text not null",
      "account_id text",
      "device_id text",
      "client_address text",
      "detail text",
    ],
    drop: [],
    add: [],
    indexes: [
      // No (tenant_id, at) index: nothing reads the log by time alone, and each one more index is
      // one more write per verification.
      { name: "audit_events_account", columns: "tenant_id, account_id, at", changed: true },
    ],
  },
  {
    table: "rate_limits",
    columns: [
      "key text not null",
      "count integer not null",
      "window_started_at bigint not null",
      "expires_at bigint default 0 not null",
    ],
    drop: ["rate_limits_pkey"],
    add: ["constraint rate_limits_pkey primary key (tenant_id, key)"],
    indexes: [{ name: "rate_limits_expiry", columns: "expires_at" }],
  },
  {
    table: "request_nonces",
    columns: ["key text not null", "expires_at bigint not null"],
    drop: ["request_nonces_pkey"],
    add: ["constraint request_nonces_pkey primary key (tenant_id, key)"],
    indexes: [{ name: "request_nonces_expiry", columns: "expires_at" }],
  },
  {
    table: "sms_cooldowns",
    columns: [
      "phone_e164 text not null",
      "purpose text not null",
      "last_sent_at bigint not null",
      "next_allowed_at bigint not null",
      "streak integer not null",
    ],
    drop: ["sms_cooldowns_pk"],
    add: ["constraint sms_cooldowns_pk primary key (tenant_id, phone_e164, purpose)"],
    indexes: [{ name: "sms_cooldowns_last_sent", columns: "last_sent_at" }],
  },
  {
    table: "relying_parties",
    columns: [
      "id text primary key",
      "name text not null",
      "key_hash text not null unique",
      "created_at bigint not null",
      "revoked_at bigint",
    ],
    drop: [],
    add: [],
    indexes: [],
  },
];

const run = (db: Kysely<unknown>, statement: string) => sql.raw(statement).execute(db);

async function deploymentTables(db: Kysely<unknown>, now: number): Promise<void> {
  await run(
    db,
    "create table tenants (id text primary key, name text not null, policy text, created_at bigint not null, disabled_at bigint)",
  );
  await sql`insert into tenants (id, name, policy, created_at, disabled_at)
    values ('default', 'Default', null, ${now}, null), ('_deployment', 'Deployment-wide counters', null, ${now}, null)`.execute(
    db,
  );
  await run(
    db,
    `create table apps (client_id text primary key, ${TENANT_COLUMN}, name text not null, created_at bigint not null, disabled_at bigint)`,
  );
  await run(db, "create index apps_tenant on apps (tenant_id)");
  await run(
    db,
    `create table tenant_admin_keys (id text primary key, ${TENANT_COLUMN}, name text not null, key_hash text not null unique, created_at bigint not null, revoked_at bigint)`,
  );
}

/**
 * In place, in the transaction Kysely runs PostgreSQL migrations in. Unqualified names: the
 * connection's search_path is the deployment's schema.
 */
async function upPostgres(db: Kysely<unknown>): Promise<void> {
  for (const { table, drop, add, indexes } of TABLES) {
    await run(db, `alter table ${table} add column tenant_id text not null default 'default' references tenants (id)`);
    await run(db, `alter table ${table} alter column tenant_id drop default`);
    for (const name of drop) await run(db, `alter table ${table} drop constraint ${name}`);
    for (const constraint of add) await run(db, `alter table ${table} add ${constraint}`);
    for (const index of indexes.filter((i) => i.changed)) {
      await run(db, `drop index if exists ${index.name}`);
      await run(db, `create index ${index.name} on ${table} (${index.columns})`);
    }
  }
}

/**
 * Each table rebuilt: `x_new` with the full DDL, today's rows copied into the default tenant, the
 * old table dropped, the new one renamed, its indexes recreated. Foreign keys are off meanwhile
 * (children keep naming their parent, which is briefly absent) and restored as they were after.
 */
async function upSqlite(db: Kysely<unknown>, now: number): Promise<void> {
  const before = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await deploymentTables(trx, now);
      for (const { table, columns, add, indexes } of TABLES) {
        const names = columns.map((column) => column.slice(0, column.indexOf(" ")));
        await run(trx, `create table ${table}_new (${[...columns, TENANT_COLUMN, ...add].join(", ")})`);
        await run(
          trx,
          `insert into ${table}_new (${[...names, "tenant_id"].join(", ")}) select ${[...names, "'default'"].join(", ")} from ${table}`,
        );
        await run(trx, `drop table ${table}`);
        await run(trx, `alter table ${table}_new rename to ${table}`);
        for (const index of indexes) await run(trx, `create index ${index.name} on ${table} (${index.columns})`);
      }
      await toDeployment(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) {
        throw new Error(`migration 0011_tenants: foreign keys broken by the rebuild: ${JSON.stringify(broken.rows)}`);
      }
    });
  } finally {
    if (before.rows[0]?.foreign_keys === 1) await sql`pragma foreign_keys = on`.execute(db);
  }
}
