import { createHash, randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import { DEFAULT_TENANT, forTenant, Keyring, openDatabase } from "@pims/server";
import { sql } from "kysely";

export const PASSWORD = "bench-password-1";
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const token = (prefix) => `${prefix}_${randomBytes(32).toString("base64url")}`;

/** One argon2id hash of PASSWORD (fixtures share it: hashing each would take minutes). */
export const passwordHash = () => hash(PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/**
 * Inserts `rows` (a function of the index) in multi-row statements of at most ~30,000 bound values
 * (below SQLite's and PostgreSQL's limits), through Kysely, on `db` (a transaction, so a fixture
 * set commits once).
 */
export async function insertBatched(db, table, count, row) {
  if (count === 0) return;
  // One more per row: the tenant scope binds each row's tenant_id.
  const columns = Object.keys(row(0)).length + 1;
  const size = Math.max(1, Math.floor(30_000 / columns));
  for (let i = 0; i < count; i += size) {
    const values = [];
    for (let k = i; k < Math.min(count, i + size); k++) values.push(row(k));
    await db.insertInto(table).values(values).execute();
  }
}

/**
 * Benchmark fixtures written straight into Pims' database through its own query layer and keys,
 * in one transaction: accounts (one argon2id hash shared, password PASSWORD), a session each, and
 * ready OTPs for the first `withOtps` of them. Building them through the API would spend minutes
 * hashing passwords before any measurement. With `existing` (account ids already in the database,
 * e.g. the large one), only OTPs are written, for those accounts.
 */
export async function writeFixtures({
  databaseUrl,
  schema,
  secretKey,
  accounts = 0,
  otpsPerAccount,
  withOtps = 4000,
  existing,
  /** The tenant the fixtures belong to (decision 0028), and the prefix of their ids and logins. */
  tenant = DEFAULT_TENANT,
  prefix = "bench",
}) {
  const { db, close } = openDatabase(databaseUrl, schema ? { schema } : {});
  const keyring = Keyring.fromSecrets(secretKey);
  const now = Date.now();
  const rows = (
    existing ?? Array.from({ length: accounts }, (_, i) => `acc_${prefix}${String(i).padStart(6, "0")}`)
  ).map((id, i) => ({
    id,
    login: existing ? undefined : `${prefix}-${i}@example.com`,
    accessToken: existing ? undefined : token("pat"),
    refreshToken: existing ? undefined : token("prt"),
    otps: [],
  }));
  const withOtpRows = rows.slice(0, withOtps);
  for (const r of withOtpRows)
    for (let k = 0; k < otpsPerAccount; k++) r.otps.push(String(10_000_000 + Math.floor(Math.random() * 89_999_999)));
  const password = existing ? undefined : await passwordHash();
  try {
    await forTenant(db, tenant)
      .transaction()
      .execute(async (trx) => {
        if (!existing) {
          await insertBatched(trx, "accounts", rows.length, (i) => ({
            id: rows[i].id,
            login: rows[i].login,
            login_key: rows[i].login,
            password_hash: password,
            created_at: now,
          }));
          await insertBatched(trx, "sessions", rows.length, (i) => ({
            id: `ses_${rows[i].id}`,
            account_id: rows[i].id,
            access_hash: sha256(rows[i].accessToken),
            access_expires_at: now + 3_600_000,
            refresh_hash: sha256(rows[i].refreshToken),
            previous_refresh_hash: null,
            refresh_expires_at: now + 86_400_000,
            created_at: now,
            revoked_at: null,
          }));
        }
        // Each OTP's device must be enrolled and active: a verification consumes only those.
        await insertBatched(trx, "devices", withOtpRows.length, (i) => ({
          id: deviceOf(withOtpRows[i].id, now),
          account_id: withOtpRows[i].id,
          public_key: "bench-fixture-no-key",
          status: "active",
          created_at: now,
          enrolled_at: now,
          removed_at: null,
          enrollment_validated_until: null,
          last_used_at: null,
          pin_proven_at: null,
        }));
        await insertBatched(trx, "otps", withOtpRows.length * otpsPerAccount, (n) => {
          const r = withOtpRows[Math.floor(n / otpsPerAccount)];
          const k = n % otpsPerAccount;
          return {
            id: `otp_${r.id}_${k}_${now.toString(36)}`,
            account_id: r.id,
            device_id: deviceOf(r.id, now),
            otp_mac: keyring.hmac("otp", `${r.id}|${r.otps[k]}`),
            factors: "possession+knowledge",
            context_hash: null,
            issued_at: now,
            expires_at: now + 3_600_000,
            consumed_at: null,
            consumed_by: null,
          };
        });
      });
    // PostgreSQL plans by its statistics, which autovacuum keeps after writes like these (it is off
    // on some machines, this one's included): without them the planner takes a table just filled
    // for an empty one, and a lookup by key may be planned on an index whose key it does not bind.
    if (databaseUrl.startsWith("postgres")) {
      for (const table of ["accounts", "sessions", "devices", "otps"]) await sql.raw(`analyze ${table}`).execute(db);
    }
  } finally {
    await close();
  }
  return rows;
}

/** The fixture device of an account's OTPs in the run that started at `now` (ids are unique per run). */
const deviceOf = (accountId, now) => `dev_${accountId}_${now.toString(36)}`;

/** A memory store holding a fixture account's session, as the SDK keeps it. */
export function sessionFor(row) {
  return {
    kind: "pims",
    accessToken: row.accessToken,
    refreshToken: row.refreshToken,
    expiresAt: Date.now() + 3_600_000,
    username: row.login,
    accountId: row.id,
  };
}
