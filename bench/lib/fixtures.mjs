import { createHash, randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import { Keyring, openDatabase } from "@pims/server";

export const PASSWORD = "bench-password-1";
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const token = (prefix) => `${prefix}_${randomBytes(32).toString("base64url")}`;

/**
 * Benchmark fixtures written straight into Pims' database through its own query layer and keys:
 * accounts (one argon2id hash shared, password PASSWORD), a session each, and ready OTPs. Building
 * them through the API would spend minutes hashing passwords before any measurement.
 */
export async function writeFixtures({ databaseUrl, schema, secretKey, accounts, otpsPerAccount }) {
  const { db, close } = openDatabase(databaseUrl, schema ? { schema } : {});
  const keyring = Keyring.fromSecrets(secretKey);
  const passwordHash = await hash(PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < accounts; i++) {
    const id = `acc_bench${String(i).padStart(6, "0")}`;
    const login = `bench-${i}@example.com`;
    rows.push({ id, login, accessToken: token("pat"), refreshToken: token("prt"), otps: [] });
  }
  const batch = async (table, values) => {
    for (let i = 0; i < values.length; i += 500)
      await db
        .insertInto(table)
        .values(values.slice(i, i + 500))
        .execute();
  };
  await batch(
    "accounts",
    rows.map((r) => ({ id: r.id, login: r.login, login_key: r.login, password_hash: passwordHash, created_at: now })),
  );
  await batch(
    "sessions",
    rows.map((r) => ({
      id: `ses_${r.id}`,
      account_id: r.id,
      access_hash: sha256(r.accessToken),
      access_expires_at: now + 3_600_000,
      refresh_hash: sha256(r.refreshToken),
      previous_refresh_hash: null,
      refresh_expires_at: now + 86_400_000,
      created_at: now,
      revoked_at: null,
    })),
  );
  const otps = [];
  for (const r of rows.slice(0, 4000)) {
    for (let k = 0; k < otpsPerAccount; k++) {
      const otp = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
      r.otps.push(otp);
      otps.push({
        id: `otp_${r.id}_${k}`,
        account_id: r.id,
        device_id: "dev_bench",
        otp_mac: keyring.hmac("otp", `${r.id}|${otp}`),
        factors: "possession+knowledge",
        context_hash: null,
        issued_at: now,
        expires_at: now + 3_600_000,
        consumed_at: null,
        consumed_by: null,
      });
    }
  }
  await batch("otps", otps);
  await close();
  return rows;
}

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
