import type { Generated } from "kysely";

/**
 * Table types for Kysely. Same schema on SQLite and PostgreSQL: text ids, `bigint` epoch
 * milliseconds, `integer` 0/1 for booleans (docs/decisions/0005-storage.md).
 */
export interface AccountsTable {
  id: string;
  /** The login as given at creation (display), or a name taken from an external identity. */
  login: string;
  /** NFKC + lower case of a built-in login, unique; null for external identities. */
  login_key: string | null;
  password_hash: string | null;
  created_at: number;
  /** Wrong PINs in a row (and PIN checks in flight); blocked at the configured maximum. */
  pin_failures: Generated<number>;
  active_devices: Generated<number>;
  /** Owned by pin/: when the PIN was last recovered by SMS (S13, or S12 before a new enrollment). */
  pin_recovered_at: number | null;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  access_hash: string;
  access_expires_at: number;
  refresh_hash: string;
  /** Former scheme (one rotation deep); no longer written: see `retired_refresh_tokens`. */
  previous_refresh_hash: string | null;
  refresh_expires_at: number;
  created_at: number;
  revoked_at: number | null;
}

/**
 * Every refresh token a session rotated out (its family): presenting one again means a copy is in
 * other hands, and the whole session is revoked. Deleted with the session.
 */
export interface RetiredRefreshTokensTable {
  refresh_hash: string;
  session_id: string;
  retired_at: number;
}

export interface ExternalIdentitiesTable {
  issuer: string;
  subject: string;
  account_id: string;
  created_at: number;
}

export interface RateLimitsTable {
  key: string;
  count: number;
  window_started_at: number;
  /** End of the current window: the purge deletes the row after it. */
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  event: string;
  outcome: string;
  account_id: string | null;
  device_id: string | null;
  client_address: string | null;
  /** JSON object of non-secret details. */
  detail: string | null;
}

export interface TrustedPhonesTable {
  account_id: string;
  phone_e164: string;
  trusted_at: number;
}

/** A code sent by SMS: only its HMAC is kept, bound to account, purpose and number. */
export interface SmsCodesTable {
  id: string;
  account_id: string;
  purpose: string;
  phone_e164: string;
  code_mac: string;
  key_id: string;
  created_at: number;
  expires_at: number;
  attempts: number;
  consumed_at: number | null;
}

export interface SmsCooldownsTable {
  phone_e164: string;
  /** A cooldown runs per number and purpose. */
  purpose: string;
  last_sent_at: number;
  next_allowed_at: number;
  streak: number;
}

/** The account PIN: a digest sealed under the secret key (docs/decisions/0004-pin-verifier.md). */
export interface PinVerifiersTable {
  account_id: string;
  key_id: string;
  salt: string;
  sealed: string;
  set_at: number;
}

export type DeviceStatus = "pending" | "active" | "removed" | "disabled";

export interface DevicesTable {
  /** `dev_` + thumbprint of the public key. */
  id: string;
  account_id: string;
  /** Raw P-256 point, base64url. */
  public_key: string;
  status: DeviceStatus;
  created_at: number;
  enrolled_at: number | null;
  removed_at: number | null;
  /** S7 validated an enrollment code for this device until then. */
  enrollment_validated_until: number | null;
  last_used_at: number | null;
  /** When this device last proved the account PIN; S9 may spend it once within its window. */
  pin_proven_at: number | null;
}

export interface RequestNoncesTable {
  key: string;
  expires_at: number;
}

/** An OTP: only its HMAC is kept, bound to account and device, single use. */
export interface OtpsTable {
  id: string;
  account_id: string;
  device_id: string;
  otp_mac: string;
  /** `possession+knowledge` (S15) or `possession` (S16). */
  factors: string;
  /** SHA-256 of the optional context the OTP was asked for. */
  context_hash: string | null;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
  consumed_by: string | null;
  /** Wrong guesses at the account's OTPs while this one was live; at the limit it is voided. */
  wrong_guesses: number;
  /** RFC 8176 methods as issued, space-separated; null for OTPs issued before migration 0010. */
  methods: string | null;
  /** With a transaction (decision 0025): base64url SHA-256 of its canonical text, matched on. */
  transaction_digest: string | null;
  /** Its RFC 8785 canonical text. */
  transaction_canonical: string | null;
  /** The device's signature (P1363, base64url) over `transaction_signed`. */
  transaction_signature: string | null;
  /** The transaction signing string the device signed. */
  transaction_signed: string | null;
}

export interface RelyingPartiesTable {
  id: string;
  name: string;
  /** SHA-256 of the API key. */
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

/** A signing key of step-up assertions: the private half sealed under the keyring, never sent. */
export interface AssertionKeysTable {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  /** The public JWK as JSON (kty, crv, x, y). */
  public_jwk: string;
  /** Keyring key the private key is sealed under. */
  key_id: string;
  /** PKCS#8 DER sealed under the keyring (AAD: the kid). */
  sealed_private_key: string;
  created_at: number;
  /** When a rotation made it the signing key; null while it waits as the next one. */
  activated_at: number | null;
  /** When a rotation replaced it; published for the overlap after. */
  retired_at: number | null;
  /** `active` (the one signing key), `next` (published ahead of its turn), null once retired; unique. */
  slot: "active" | "next" | null;
}

/**
 * A tenant: one brand of the deployment (decision 0028). `policy` is the JSON of its overrides of
 * the deployment's settings (null: the deployment's). Ids starting with "_" are reserved
 * (`_deployment` holds the deployment-wide counters and is never served).
 */
export interface TenantsTable {
  id: string;
  name: string;
  policy: string | null;
  created_at: number;
  disabled_at: number | null;
}

/** An app of a tenant (the iOS app, the Android app, the web site): its public client id. */
export interface AppsTable {
  client_id: string;
  tenant_id: string;
  name: string;
  created_at: number;
  disabled_at: number | null;
}

/** An administrator key that manages one tenant only (hashed, as relying-party keys are). */
export interface TenantAdminKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

/**
 * The tables. Every table but the deployment's (`tenants`, `apps`, `tenant_admin_keys`,
 * `assertion_keys`) also has a `tenant_id` column that is deliberately not typed here: the
 * tenant scope (db/TenantScope.ts) writes and reads it, owner code cannot name it.
 */
export interface DatabaseSchema {
  accounts: AccountsTable;
  sessions: SessionsTable;
  retired_refresh_tokens: RetiredRefreshTokensTable;
  external_identities: ExternalIdentitiesTable;
  rate_limits: RateLimitsTable;
  audit_events: AuditEventsTable;
  trusted_phones: TrustedPhonesTable;
  sms_codes: SmsCodesTable;
  sms_cooldowns: SmsCooldownsTable;
  pin_verifiers: PinVerifiersTable;
  devices: DevicesTable;
  request_nonces: RequestNoncesTable;
  otps: OtpsTable;
  relying_parties: RelyingPartiesTable;
  assertion_keys: AssertionKeysTable;
  tenants: TenantsTable;
  apps: AppsTable;
  tenant_admin_keys: TenantAdminKeysTable;
}
