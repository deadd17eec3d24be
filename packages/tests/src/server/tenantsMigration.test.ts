import { createHash, randomBytes, webcrypto } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loginUser, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore } from "@pims/sdk";
import { createPimsServer, Keyring, loadConfig, openDatabase, systemClock } from "@pims/server";
import { type Kysely, Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { PasswordHasher } from "../../../server/src/accounts/PasswordHasher.js";
import { Keyring as SourceKeyring } from "../../../server/src/crypto/Keyring.js";
import { MIGRATIONS } from "../../../server/src/db/migrations/index.js";
import type { Database } from "../../../server/src/db/openDatabase.js";
import { TENANT_TABLES as SCOPED_TABLES } from "../../../server/src/db/TenantScope.js";
import { PinVerifiers } from "../../../server/src/pin/PinVerifiers.js";
import { expectSuccess } from "../support/facade.js";
import { verifyOtp } from "../support/relyingParty.js";
import { accessToken } from "../support/steps.js";

/**
 * Migration 0011 (tenants, docs/decisions/0028-tenants.md) on a database of today: migrations
 * 0001–0010, rows written as 0010's schema has them, then the upgrade. On SQLite always, on
 * PostgreSQL when PIMS_TEST_DATABASE_URL is set (each test in its own schema).
 */

const POSTGRES_URL = process.env.PIMS_TEST_DATABASE_URL;
const NOW = 1_760_000_000_000;
const ACCOUNT = "acc_upgrade_alice";
const LOGIN = "Alice@Example.com";
const PASSWORD = "upgrade-password-long";
const PIN = "73920461";
const PHONE = "+33612345678";
const RP_KEY = "prk_relyingPartyKeyOfBeforeTheUpgrade0123456789";

/** Every table that gets tenant_id (all but the deployment's, `assertion_keys` and Kysely's): the scope's. */
const TENANT_TABLES = [...SCOPED_TABLES];

/** The tables the seed writes a row to. */
const SEEDED = [
  "accounts",
  "pin_verifiers",
  "devices",
  "trusted_phones",
  "sessions",
  "retired_refresh_tokens",
  "otps",
  "audit_events",
  "relying_parties",
  "rate_limits",
] as const;

type Engine = "sqlite" | "postgres";

interface Before {
  readonly engine: Engine;
  readonly database: Database;
  readonly db: Kysely<unknown>;
  readonly databaseUrl: string;
  readonly schema: string | undefined;
  readonly dataDir: string;
  readonly secretKey: string;
  /** The SDK's record of the device seeded in `devices` (its private key never left the test). */
  readonly device: { id: string; publicKey: string; privateKey: CryptoKey };
  /** Migrates to the latest migration (0011 and after). */
  upgrade(): Promise<void>;
}

const opened: Before[] = [];
afterEach(async () => {
  for (const before of opened.splice(0)) {
    if (before.schema) await sql`drop schema if exists ${sql.id(before.schema)} cascade`.execute(before.db);
    await before.database.close();
    await rm(before.dataDir, { recursive: true, force: true });
  }
});

const migratorOf = (db: Kysely<unknown>, schema: string | undefined) =>
  new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });

/** A database at migration 0010 with today's data, written with plain SQL as 0010 has it. */
async function databaseOfToday(engine: Engine): Promise<Before> {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-tenants-migration-"));
  const schema = engine === "postgres" ? `pims_test_mig_${randomBytes(6).toString("hex")}` : undefined;
  const databaseUrl = engine === "postgres" ? (POSTGRES_URL as string) : `sqlite:${join(dataDir, "pims.db")}`;
  const database = openDatabase(databaseUrl, schema ? { schema, poolSize: 2 } : {});
  const db = database.db as unknown as Kysely<unknown>;
  const secretKey = randomBytes(32).toString("base64url");
  const device = await deviceKey();
  const before: Before = {
    engine,
    database,
    db,
    databaseUrl,
    schema,
    dataDir,
    secretKey,
    device,
    async upgrade() {
      const result = await migratorOf(db, schema).migrateToLatest();
      if (result.error) throw result.error;
      expect(result.results?.map((r) => [r.migrationName, r.status])).toContainEqual(["0011_tenants", "Success"]);
    },
  };
  opened.push(before);

  if (schema) await sql`create schema ${sql.id(schema)}`.execute(db);
  const result = await migratorOf(db, schema).migrateTo("0010_authentication_methods");
  if (result.error) throw result.error;
  expect(result.results?.at(-1)?.migrationName).toBe("0010_authentication_methods");

  const passwordHash = await new PasswordHasher(1, 1).hash(PASSWORD);
  await sql`insert into accounts (id, login, login_key, password_hash, created_at, pin_failures, active_devices)
    values (${ACCOUNT}, ${LOGIN}, ${LOGIN.toLowerCase()}, ${passwordHash}, ${NOW}, 0, 1)`.execute(db);
  // The verifier is sealed under the keyring with the account as AAD: today's owner writes it
  // (an insert of 0010's shape, no tenant), so that a server with the same key can check the PIN.
  await new PinVerifiers(database.db, SourceKeyring.fromSecrets(secretKey), systemClock).create(
    ACCOUNT,
    PIN,
    database.db,
  );
  await sql`insert into devices (id, account_id, public_key, status, created_at, enrolled_at, last_used_at)
    values (${device.id}, ${ACCOUNT}, ${device.publicKey}, 'active', ${NOW}, ${NOW}, ${NOW})`.execute(db);
  await sql`insert into trusted_phones (account_id, phone_e164, trusted_at) values (${ACCOUNT}, ${PHONE}, ${NOW})`.execute(
    db,
  );
  await sql`insert into sessions (id, account_id, access_hash, access_expires_at, refresh_hash, refresh_expires_at, created_at)
    values ('ses_old', ${ACCOUNT}, 'access-hash-old', ${NOW + 900_000}, 'refresh-hash-old', ${NOW + 86_400_000}, ${NOW})`.execute(
    db,
  );
  await sql`insert into retired_refresh_tokens (refresh_hash, session_id, retired_at)
    values ('refresh-hash-older', 'ses_old', ${NOW})`.execute(db);
  await sql`insert into otps (id, account_id, device_id, otp_mac, factors, issued_at, expires_at, wrong_guesses, methods)
    values ('otp_old', ${ACCOUNT}, ${device.id}, 'otp-mac-old', 'possession+knowledge', ${NOW}, ${NOW + 120_000}, 0, 'hwk pin')`.execute(
    db,
  );
  await sql`insert into audit_events (id, at, event, outcome, account_id, device_id, client_address, detail)
    values ('aud_old', ${NOW}, 'user.login', 'SUCCEEDED', ${ACCOUNT}, null, '127.0.0.1', null)`.execute(db);
  await sql`insert into relying_parties (id, name, key_hash, created_at)
    values ('rp_old', 'shop', ${createHash("sha256").update(RP_KEY).digest("hex")}, ${NOW})`.execute(db);
  await sql`insert into rate_limits (key, count, window_started_at, expires_at)
    values ('login:alice@example.com', 1, ${NOW}, ${NOW + 3_600_000})`.execute(db);
  return before;
}

/** A P-256 device key as the SDK makes one: `dev_` + 22 characters of the SHA-256 of the raw point. */
async function deviceKey(): Promise<{ id: string; publicKey: string; privateKey: CryptoKey }> {
  const pair = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const raw = Buffer.from(await webcrypto.subtle.exportKey("raw", pair.publicKey));
  const id = `dev_${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}`;
  return { id, publicKey: raw.toString("base64url"), privateKey: pair.privateKey };
}

const rows = async (db: Kysely<unknown>, query: string) =>
  (await sql.raw<Record<string, unknown>>(query).execute(db)).rows;
const run = (db: Kysely<unknown>, query: string) => sql.raw(query).execute(db);

/** A second account, in `tenant`, with plain SQL now that tenant_id exists. */
const insertAccount = (db: Kysely<unknown>, tenant: string, id: string, login: string) =>
  run(
    db,
    `insert into accounts (id, login, login_key, created_at, tenant_id) values ('${id}', '${login}', '${login.toLowerCase()}', ${NOW}, '${tenant}')`,
  );

const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

for (const engine of ENGINES) {
  describe.skipIf(engine === "postgres" && !POSTGRES_URL)(`migration 0011_tenants on ${engine}`, () => {
    it("keeps every row of today in the default tenant, and adds the default and _deployment tenants", async () => {
      const before = await databaseOfToday(engine);
      await before.upgrade();
      const { db } = before;

      for (const table of SEEDED) {
        expect({ table, rows: await rows(db, `select tenant_id from ${table}`) }).toEqual({
          table,
          rows: [{ tenant_id: "default" }],
        });
      }
      expect(await rows(db, "select id, login, login_key, password_hash is not null as hashed from accounts")).toEqual([
        { id: ACCOUNT, login: LOGIN, login_key: LOGIN.toLowerCase(), hashed: engine === "sqlite" ? 1 : true },
      ]);
      expect(await rows(db, "select id, account_id, status from devices")).toEqual([
        { id: before.device.id, account_id: ACCOUNT, status: "active" },
      ]);
      expect(await rows(db, "select account_id, phone_e164 from trusted_phones")).toEqual([
        { account_id: ACCOUNT, phone_e164: PHONE },
      ]);
      expect(await rows(db, "select id, otp_mac, methods from otps")).toEqual([
        { id: "otp_old", otp_mac: "otp-mac-old", methods: "hwk pin" },
      ]);
      expect(await rows(db, "select refresh_hash, session_id from retired_refresh_tokens")).toEqual([
        { refresh_hash: "refresh-hash-older", session_id: "ses_old" },
      ]);
      expect(await rows(db, "select key, count, expires_at from rate_limits")).toEqual([
        { key: "login:alice@example.com", count: 1, expires_at: NOW + 3_600_000 },
      ]);

      const tenants = await rows(db, "select id, name, policy, disabled_at, created_at from tenants order by id");
      expect(tenants.map(({ created_at, ...rest }) => rest)).toEqual([
        { id: "_deployment", name: "Deployment-wide counters", policy: null, disabled_at: null },
        { id: "default", name: "Default", policy: null, disabled_at: null },
      ]);
      for (const tenant of tenants) expect(Number(tenant.created_at)).toBeGreaterThan(NOW);
      expect(await rows(db, "select count(*) as n from apps")).toEqual([{ n: 0 }]);
      expect(await rows(db, "select count(*) as n from tenant_admin_keys")).toEqual([{ n: 0 }]);
    });

    it("moves what counts across tenants to _deployment: nonces, the quotas of numbers and addresses", async () => {
      // The attack: a signed request recorded just before the upgrade is replayed just after, when
      // its nonce would have been forgotten; or a number's SMS quota starts afresh at the upgrade.
      const before = await databaseOfToday(engine);
      const { db } = before;
      await run(
        db,
        `insert into request_nonces (key, expires_at) values ('${before.device.id}:nonce-1', ${NOW + 60_000})`,
      );
      for (const key of ["sms:phone:h:+33612345678", "sms:breaker:global", "login-failures:address:192.0.2.1"])
        await run(
          db,
          `insert into rate_limits (key, count, window_started_at, expires_at) values ('${key}', 3, ${NOW}, ${NOW + 60_000})`,
        );
      await before.upgrade();
      expect(await rows(db, "select key, tenant_id from request_nonces")).toEqual([
        { key: `${before.device.id}:nonce-1`, tenant_id: "_deployment" },
      ]);
      expect(await rows(db, "select key, tenant_id from rate_limits order by key")).toEqual([
        { key: "login-failures:address:192.0.2.1", tenant_id: "_deployment" },
        { key: "login:alice@example.com", tenant_id: "default" },
        { key: "sms:breaker:global", tenant_id: "_deployment" },
        { key: "sms:phone:h:+33612345678", tenant_id: "_deployment" },
      ]);
    });

    it("leaves tenant_id without a column default on every tenant table, and foreign keys enforced", async () => {
      const before = await databaseOfToday(engine);
      await before.upgrade();
      const { db } = before;
      for (const table of TENANT_TABLES) {
        const column =
          engine === "sqlite"
            ? (
                await rows(
                  db,
                  `select "notnull" as not_null, dflt_value as dflt from pragma_table_info('${table}') where name = 'tenant_id'`,
                )
              )[0]
            : (
                await rows(
                  db,
                  `select (is_nullable = 'NO') as not_null, column_default as dflt from information_schema.columns
                   where table_schema = current_schema() and table_name = '${table}' and column_name = 'tenant_id'`,
                )
              )[0];
        expect({ table, column }).toEqual({ table, column: { not_null: engine === "sqlite" ? 1 : true, dflt: null } });
      }
      expect(
        await rows(db, "select tenant_id from assertion_keys limit 0").catch((error: Error) => error.message),
      ).toMatch(/tenant_id/);
      if (engine === "sqlite") {
        // The rebuild turns them off; openDatabase turned them on, and they must be on again.
        expect(await rows(db, "pragma foreign_keys")).toEqual([{ foreign_keys: 1 }]);
        expect(await rows(db, "pragma foreign_key_check")).toEqual([]);
      }
    });

    it("makes logins and trusted phones unique per tenant, and refuses rows without a tenant or across tenants", async () => {
      const before = await databaseOfToday(engine);
      await before.upgrade();
      const { db } = before;
      await run(db, `insert into tenants (id, name, created_at) values ('b', 'Brand B', ${NOW})`);

      // The same login in another tenant is another account; in the same tenant it is refused.
      await insertAccount(db, "b", "acc_b_alice", LOGIN);
      await expect(insertAccount(db, "default", "acc_default_alice_2", LOGIN)).rejects.toThrow(/unique constraint/i);
      expect(
        await rows(db, "select tenant_id, id from accounts where login_key = 'alice@example.com' order by id"),
      ).toEqual([
        { tenant_id: "b", id: "acc_b_alice" },
        { tenant_id: "default", id: ACCOUNT },
      ]);

      // The same number trusted in each tenant; twice in one it is refused (2390 stays per tenant).
      await run(
        db,
        `insert into trusted_phones (tenant_id, account_id, phone_e164, trusted_at) values ('b', 'acc_b_alice', '${PHONE}', ${NOW})`,
      );
      await insertAccount(db, "default", "acc_default_bob", "bob");
      await expect(
        run(
          db,
          `insert into trusted_phones (tenant_id, account_id, phone_e164, trusted_at) values ('default', 'acc_default_bob', '${PHONE}', ${NOW})`,
        ),
      ).rejects.toThrow(/unique constraint/i);

      // An insert that escaped the tenant scope names no tenant: it fails, it does not land in default.
      await expect(
        run(
          db,
          `insert into accounts (id, login, login_key, created_at) values ('acc_nobody', 'nobody', 'nobody', ${NOW})`,
        ),
      ).rejects.toThrow(/not[- ]null/i);
      await expect(
        run(db, `insert into rate_limits (key, count, window_started_at, expires_at) values ('k', 1, ${NOW}, ${NOW})`),
      ).rejects.toThrow(/not[- ]null/i);
      await expect(
        run(
          db,
          `insert into audit_events (id, at, event, outcome) values ('aud_nobody', ${NOW}, 'user.login', 'SUCCEEDED')`,
        ),
      ).rejects.toThrow(/not[- ]null/i);

      // A row of tenant b pointing at the default tenant's account fails the composite foreign key.
      await expect(
        run(
          db,
          `insert into devices (tenant_id, id, account_id, public_key, status, created_at) values ('b', 'dev_cross', '${ACCOUNT}', 'pk', 'active', ${NOW})`,
        ),
      ).rejects.toThrow(/foreign key constraint/i);
      await expect(
        run(
          db,
          `insert into pin_verifiers (tenant_id, account_id, key_id, salt, sealed, set_at) values ('b', '${ACCOUNT}', 'k', 's', 'x', ${NOW})`,
        ),
      ).rejects.toThrow(/foreign key constraint/i);
      // An unknown tenant is refused as well.
      await expect(insertAccount(db, "nowhere", "acc_nowhere", "carol")).rejects.toThrow(/foreign key constraint/i);

      // The same device key may be enrolled in two tenants (an app group sharing a keychain).
      await run(
        db,
        `insert into devices (tenant_id, id, account_id, public_key, status, created_at) values ('b', '${before.device.id}', 'acc_b_alice', 'pk', 'active', ${NOW})`,
      );
      // Deleting an account still takes its rows along, within its tenant only.
      await run(db, `delete from accounts where tenant_id = 'default' and id = '${ACCOUNT}'`);
      for (const table of [
        "devices",
        "trusted_phones",
        "pin_verifiers",
        "sessions",
        "otps",
        "retired_refresh_tokens",
      ]) {
        expect({ table, left: await rows(db, `select tenant_id from ${table} where tenant_id = 'default'`) }).toEqual({
          table,
          left: [],
        });
      }
      expect(await rows(db, "select tenant_id, id from devices")).toEqual([{ tenant_id: "b", id: before.device.id }]);
    });
  });

  if (engine === "sqlite") {
    describe("migration 0011_tenants on sqlite, when the rebuild finds a broken reference", () => {
      it("rolls every table back, records nothing, and turns foreign keys on again", async () => {
        const before = await databaseOfToday(engine);
        const { db } = before;
        // A device of an account that is gone, written while foreign keys were off (as an older
        // SQLite tool might have): the rebuild's foreign_key_check must stop the upgrade.
        await run(db, "pragma foreign_keys = off");
        await run(
          db,
          `insert into devices (id, account_id, public_key, status, created_at) values ('dev_orphan', 'acc_gone', 'pk', 'active', ${NOW})`,
        );
        await run(db, "pragma foreign_keys = on");

        const result = await migratorOf(db, undefined).migrateToLatest();
        expect(result.error).toBeInstanceOf(Error);
        expect((result.error as Error).message).toMatch(/^migration 0011_tenants: foreign keys broken by the rebuild/);
        expect(await rows(db, "pragma foreign_keys")).toEqual([{ foreign_keys: 1 }]);
        expect((await rows(db, "select name from kysely_migration order by name")).at(-1)).toEqual({
          name: "0010_authentication_methods",
        });
        expect(await rows(db, "select name from sqlite_master where name like '%_new' or name = 'tenants'")).toEqual(
          [],
        );
        expect(
          (await rows(db, "select name from pragma_table_info('accounts')")).map((column) => column.name),
        ).not.toContain("tenant_id");
        expect(await rows(db, "select count(*) as n from devices")).toEqual([{ n: 2 }]);
      });
    });
  }

  // The upgraded database serves today's users in the default tenant: their password, device and
  // PIN still work, and the relying party's old key still verifies.
  describe.skipIf(engine === "postgres" && !POSTGRES_URL)(`upgrade, then use (${engine})`, () => {
    it("logs in with the old account, gets an OTP with the PIN, and the old relying party verifies it", async () => {
      const before = await databaseOfToday(engine);
      await before.upgrade();
      const config = loadConfig(
        {
          PIMS_DATA_DIR: before.dataDir,
          PIMS_DATABASE_URL: before.databaseUrl,
          ...(before.schema ? { PIMS_DATABASE_SCHEMA: before.schema } : {}),
          PIMS_SECRET_KEY: before.secretKey,
          PIMS_LOG_LEVEL: "silent",
        },
        { port: 0, host: "127.0.0.1" },
      );
      const server = await createPimsServer({
        config,
        keyring: Keyring.fromSecrets(before.secretKey),
        smsConsole: { write: () => true },
      });
      try {
        const url = await server.listen();
        // The app's store holds the device key it enrolled before the upgrade.
        const store = memoryStore();
        await store.set(`pims.device.${ACCOUNT}`, { ...before.device, enrolledAt: NOW });
        const pims = createPims();
        expectSuccess(await pims.initialize({ serverUrl: url, store }));
        expectSuccess(await pims.set(loginUser.api, { action: "login", login: LOGIN, password: PASSWORD }));
        const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: PIN })) as {
          otp: string;
        };
        const verified = await verifyOtp(url, RP_KEY, { otp, accessToken: await accessToken(pims) });
        expect(verified.body.result).toMatchObject({
          valid: true,
          account: { id: ACCOUNT, username: LOGIN },
          device: before.device.id,
          factors: ["possession", "knowledge"],
        });
      } finally {
        await server.close();
      }
    });
  });
}
