import { describe, expect, it } from "vitest";
import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import { knownVariables, loadConfig } from "./loadConfig.js";

type Env = Readonly<Record<string, string>>;
/** A value the loader takes, and where it lands; or the one problem it reports. */
type Outcome = { readonly read: (config: Config) => unknown; readonly is: unknown } | { readonly problem: string };
/** Variable, value, outcome, and the other settings the row needs (none by default). */
type Row = readonly [variable: string, value: string, outcome: Outcome, context?: Env];

const ok = (read: (config: Config) => unknown, is: unknown): Outcome => ({ read, is });
const refused = (problem: string): Outcome => ({ problem });
const between = (name: string, min: number, max: number, got: string) =>
  refused(`${name} must be between ${min} and ${max}, got ${got}`);

/** A production configuration with nothing missing. */
const PRODUCTION: Env = {
  PIMS_MODE: "production",
  PIMS_SECRET_KEY: "k".repeat(43),
  PIMS_METRICS_TOKEN: "m".repeat(43),
  PIMS_SMS_PROVIDER: "webhook",
  PIMS_SMS_WEBHOOK_URL: "https://sms.example/send",
};
const WEBHOOK: Env = {
  PIMS_MODE: "development",
  PIMS_SMS_PROVIDER: "webhook",
  PIMS_SMS_WEBHOOK_URL: "https://sms.example/send",
};
const TWILIO: Env = {
  PIMS_MODE: "development",
  PIMS_SMS_PROVIDER: "twilio",
  PIMS_TWILIO_ACCOUNT_SID: "AC123",
  PIMS_TWILIO_AUTH_TOKEN: "token",
  PIMS_TWILIO_FROM: "+15550001111",
};
const OIDC: Env = { PIMS_OIDC_ISSUER: "https://idp.example", PIMS_OIDC_AUDIENCE: "pims" };
const TWILIO_NEEDS =
  "PIMS_SMS_PROVIDER=twilio needs PIMS_TWILIO_ACCOUNT_SID, PIMS_TWILIO_AUTH_TOKEN and PIMS_TWILIO_FROM (or PIMS_TWILIO_MESSAGING_SERVICE_SID)";

/** Every setting of the loader (knownVariables()), with good values and, where one exists, bad ones. */
const TABLE: readonly Row[] = [
  ["PIMS_MODE", "production", ok((c) => c.mode, "production"), PRODUCTION],
  ["PIMS_MODE", "staging", refused('PIMS_MODE must be one of development, production, got "staging"')],
  [
    "PIMS_DATA_DIR",
    "/var/lib/pims",
    ok((c) => [c.dataDir, c.databaseUrl], ["/var/lib/pims", "sqlite:/var/lib/pims/pims.db"]),
  ],
  ["PIMS_DATABASE_URL", "postgres://db/pims", ok((c) => c.databaseUrl, "postgres://db/pims")],
  [
    "PIMS_DATABASE_URL",
    "mysql://db",
    refused('PIMS_DATABASE_URL must start with sqlite: or postgres://, got "mysql:…"'),
  ],
  ["PIMS_DATABASE_URL", "sqlite:", refused("PIMS_DATABASE_URL sqlite: needs a file path")],
  ["PIMS_SECRET_KEY", "s3cret", ok((c) => c.secretKey, "s3cret")],
  [
    "PIMS_SECRET_KEY",
    "",
    refused("PIMS_SECRET_KEY is required in production mode (generate one with `pims secret generate`)"),
    PRODUCTION,
  ],
  ["PIMS_METRICS_TOKEN", "m3trics", ok((c) => c.metricsToken, "m3trics")],
  [
    "PIMS_METRICS_TOKEN",
    "",
    refused("PIMS_METRICS_TOKEN is required in production mode (`pims secret generate` prints one)"),
    PRODUCTION,
  ],
  ["PIMS_OIDC_ISSUER", "https://idp.example", ok((c) => c.oidc?.issuer, "https://idp.example"), OIDC],
  ["PIMS_OIDC_ISSUER", "https://idp.example", refused("PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE go together")],
  ["PIMS_OIDC_AUDIENCE", "pims", ok((c) => c.oidc?.audience, "pims"), OIDC],
  ["PIMS_OIDC_AUDIENCE", "pims", refused("PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE go together")],
  ["PIMS_OIDC_JWKS_URL", "https://idp.example/jwks", ok((c) => c.oidc?.jwksUrl, "https://idp.example/jwks"), OIDC],
  ["PIMS_HOST", "0.0.0.0", ok((c) => c.host, "0.0.0.0")],
  ["PIMS_PORT", "9000", ok((c) => c.port, 9000)],
  ["PIMS_PORT", "eighty", refused('PIMS_PORT must be a whole number, got "eighty"')],
  ["PIMS_PORT", "70000", between("PIMS_PORT", 0, 65535, "70000")],
  ["PIMS_DATABASE_SCHEMA", "tenant_a", ok((c) => c.databaseSchema, "tenant_a")],
  [
    "PIMS_DATABASE_SCHEMA",
    "Tenant-A",
    refused('PIMS_DATABASE_SCHEMA must be a lower-case SQL identifier, got "Tenant-A"'),
  ],
  ["PIMS_DATABASE_POOL_SIZE", "20", ok((c) => c.databasePoolSize, 20)],
  ["PIMS_DATABASE_POOL_SIZE", "0", between("PIMS_DATABASE_POOL_SIZE", 1, 1000, "0")],
  ["PIMS_REDIS_URL", "rediss://cache:6380", ok((c) => c.redisUrl, "rediss://cache:6380")],
  ["PIMS_REDIS_URL", "http://cache", refused("PIMS_REDIS_URL must start with redis:// or rediss://")],
  ["PIMS_REDIS_PREFIX", "app:", ok((c) => c.redisPrefix, "app:")],
  ["PIMS_BENCH_ROUTES", "yes", ok((c) => c.benchRoutes, true)],
  ["PIMS_BENCH_ROUTES", "maybe", refused('PIMS_BENCH_ROUTES must be true or false, got "maybe"')],
  ["PIMS_SECRET_KEY_PREVIOUS", "old1, old2,", ok((c) => c.previousSecretKeys, ["old1", "old2"])],
  ["PIMS_LOG_LEVEL", "debug", ok((c) => c.logLevel, "debug")],
  [
    "PIMS_LOG_LEVEL",
    "loud",
    refused('PIMS_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'),
  ],
  ["PIMS_TRUST_PROXY_HOPS", "1", ok((c) => c.trustProxyHops, 1)],
  ["PIMS_TRUST_PROXY_HOPS", "11", between("PIMS_TRUST_PROXY_HOPS", 0, 10, "11")],
  ["PIMS_RATE_LIMIT_IPV6_PREFIX", "48", ok((c) => c.ipv6PrefixLength, 48)],
  ["PIMS_RATE_LIMIT_IPV6_PREFIX", "16", between("PIMS_RATE_LIMIT_IPV6_PREFIX", 32, 128, "16")],
  ["PIMS_CORS_ORIGINS", "https://app.example, https://app.example", ok((c) => c.cors.origins, ["https://app.example"])],
  [
    "PIMS_CORS_ORIGINS",
    "https://*.example",
    refused(
      'PIMS_CORS_ORIGINS takes exact origins such as https://app.example.com, got "https://*.example": wildcards are not allowed, name each origin',
    ),
  ],
  ["PIMS_CORS_MAX_AGE", "600", ok((c) => c.cors.maxAgeSeconds, 600)],
  ["PIMS_CORS_MAX_AGE", "86401", between("PIMS_CORS_MAX_AGE", 0, 86_400, "86401")],
  ["PIMS_ACCESS_TOKEN_TTL", "600", ok((c) => c.sessions.accessTokenTtlSeconds, 600)],
  ["PIMS_ACCESS_TOKEN_TTL", "10", between("PIMS_ACCESS_TOKEN_TTL", 30, 86_400, "10")],
  ["PIMS_REFRESH_TOKEN_TTL", "3600", ok((c) => c.sessions.refreshTokenTtlSeconds, 3600)],
  ["PIMS_REFRESH_TOKEN_TTL", "60", between("PIMS_REFRESH_TOKEN_TTL", 300, 365 * 86_400, "60")],
  ["PIMS_LOGIN_MAX_FAILURES_PER_LOGIN", "3", ok((c) => c.login.maxFailuresPerLogin, 3)],
  ["PIMS_LOGIN_MAX_FAILURES_PER_LOGIN", "0", between("PIMS_LOGIN_MAX_FAILURES_PER_LOGIN", 1, 1000, "0")],
  ["PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS", "50", ok((c) => c.login.maxFailuresPerAddress, 50)],
  ["PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS", "0", between("PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS", 1, 100_000, "0")],
  ["PIMS_MAX_ACCOUNTS_PER_ADDRESS", "5", ok((c) => c.login.maxAccountsPerAddress, 5)],
  ["PIMS_MAX_ACCOUNTS_PER_ADDRESS", "0", between("PIMS_MAX_ACCOUNTS_PER_ADDRESS", 1, 100_000, "0")],
  ["PIMS_LOGIN_WINDOW", "600", ok((c) => c.login.windowSeconds, 600)],
  ["PIMS_LOGIN_WINDOW", "59", between("PIMS_LOGIN_WINDOW", 60, 86_400, "59")],
  ["PIMS_PASSWORD_HASH_CONCURRENCY", "255", ok((c) => c.passwords.concurrency, 255)],
  ["PIMS_PASSWORD_HASH_CONCURRENCY", "0", between("PIMS_PASSWORD_HASH_CONCURRENCY", 1, 256, "0")],
  ["PIMS_PASSWORD_HASH_QUEUE", "0", ok((c) => c.passwords.maxQueue, 0)],
  ["PIMS_PASSWORD_HASH_QUEUE", "-1", between("PIMS_PASSWORD_HASH_QUEUE", 0, 100_000, "-1")],
  ["PIMS_DEFAULT_REGION", "be", ok((c) => c.phone.defaultRegion, "BE")],
  [
    "PIMS_DEFAULT_REGION",
    "France",
    refused('PIMS_DEFAULT_REGION takes ISO 3166 country codes such as FR, got "France"'),
  ],
  ["PIMS_PHONE_COUNTRIES", "fr, be", ok((c) => c.phone.countries, ["FR", "BE"])],
  [
    "PIMS_PHONE_COUNTRIES",
    "FR,France",
    refused('PIMS_PHONE_COUNTRIES takes ISO 3166 country codes such as FR, got "France"'),
  ],
  ["PIMS_PHONE_MOBILE_ONLY", "off", ok((c) => c.phone.mobileOnly, false)],
  ["PIMS_PHONE_MOBILE_ONLY", "sometimes", refused('PIMS_PHONE_MOBILE_ONLY must be true or false, got "sometimes"')],
  ["PIMS_PHONE_CHANGE_PIN_WINDOW", "0", ok((c) => c.phone.changeProofWindowSeconds, 0)],
  ["PIMS_PHONE_CHANGE_PIN_WINDOW", "3601", between("PIMS_PHONE_CHANGE_PIN_WINDOW", 0, 3600, "3601")],
  ["PIMS_SMS_DENIED_PREFIXES", "+881, +882", ok((c) => c.phone.deniedPrefixes, ["+881", "+882"])],
  ["PIMS_SMS_DENIED_PREFIXES", "None", ok((c) => c.phone.deniedPrefixes, [])],
  [
    "PIMS_SMS_DENIED_PREFIXES",
    "881",
    refused('PIMS_SMS_DENIED_PREFIXES takes E.164 prefixes such as +881 (or none), got "881"'),
  ],
  ["PIMS_SMS_PROVIDER", "webhook", ok((c) => c.sms.provider, "webhook"), PRODUCTION],
  [
    "PIMS_SMS_PROVIDER",
    "carrier-pigeon",
    refused('PIMS_SMS_PROVIDER must be one of console, webhook, twilio, got "carrier-pigeon"'),
  ],
  [
    "PIMS_SMS_PROVIDER",
    "",
    refused("PIMS_SMS_PROVIDER is required in production mode (webhook or twilio)"),
    PRODUCTION,
  ],
  [
    "PIMS_SMS_PROVIDER",
    "webhook",
    refused(
      "PIMS_SMS_PROVIDER=webhook sends real SMS: set PIMS_MODE=production (or PIMS_MODE=development, explicitly, to try the provider with the demo page)",
    ),
    { PIMS_SMS_WEBHOOK_URL: "https://sms.example/send" },
  ],
  ["PIMS_SMS_WEBHOOK_URL", "https://sms.example/v2", ok((c) => c.sms.webhook?.url, "https://sms.example/v2"), WEBHOOK],
  ["PIMS_SMS_WEBHOOK_URL", "", refused("PIMS_SMS_PROVIDER=webhook needs PIMS_SMS_WEBHOOK_URL"), WEBHOOK],
  ["PIMS_SMS_WEBHOOK_SECRET", "hook-secret", ok((c) => c.sms.webhook?.secret, "hook-secret"), WEBHOOK],
  ["PIMS_TWILIO_ACCOUNT_SID", "AC456", ok((c) => c.sms.twilio?.accountSid, "AC456"), TWILIO],
  ["PIMS_TWILIO_ACCOUNT_SID", "", refused(TWILIO_NEEDS), TWILIO],
  ["PIMS_TWILIO_AUTH_TOKEN", "other-token", ok((c) => c.sms.twilio?.authToken, "other-token"), TWILIO],
  ["PIMS_TWILIO_AUTH_TOKEN", "", refused(TWILIO_NEEDS), TWILIO],
  ["PIMS_TWILIO_FROM", "+15550002222", ok((c) => c.sms.twilio?.from, "+15550002222"), TWILIO],
  ["PIMS_TWILIO_FROM", "", refused(TWILIO_NEEDS), TWILIO],
  [
    "PIMS_TWILIO_MESSAGING_SERVICE_SID",
    "MG123",
    ok((c) => [c.sms.twilio?.messagingServiceSid, c.sms.twilio?.from], ["MG123", undefined]),
    { ...TWILIO, PIMS_TWILIO_FROM: "" },
  ],
  [
    "PIMS_TWILIO_BASE_URL",
    "http://127.0.0.1:9/twilio",
    ok((c) => c.sms.twilio?.baseUrl, "http://127.0.0.1:9/twilio"),
    TWILIO,
  ],
  ["PIMS_SMS_CODE_LENGTH", "8", ok((c) => c.sms.codeLength, 8)],
  ["PIMS_SMS_CODE_LENGTH", "3", between("PIMS_SMS_CODE_LENGTH", 4, 10, "3")],
  ["PIMS_SMS_CODE_TTL", "60", ok((c) => c.sms.codeTtlSeconds, 60)],
  ["PIMS_SMS_CODE_TTL", "29", between("PIMS_SMS_CODE_TTL", 30, 3600, "29")],
  ["PIMS_SMS_CODE_MAX_TRIES", "5", ok((c) => c.sms.maxTriesPerCode, 5)],
  ["PIMS_SMS_CODE_MAX_TRIES", "11", between("PIMS_SMS_CODE_MAX_TRIES", 1, 10, "11")],
  ["PIMS_SMS_TRY_BUDGET", "20", ok((c) => c.sms.tryBudget, 20)],
  ["PIMS_SMS_TRY_BUDGET", "0", between("PIMS_SMS_TRY_BUDGET", 1, 1000, "0")],
  ["PIMS_SMS_TRY_WINDOW", "3600", ok((c) => c.sms.tryWindowSeconds, 3600)],
  ["PIMS_SMS_TRY_WINDOW", "59", between("PIMS_SMS_TRY_WINDOW", 60, 30 * 86_400, "59")],
  ["PIMS_SMS_COOLDOWN", "0", ok((c) => c.sms.cooldownSeconds, 0)],
  ["PIMS_SMS_COOLDOWN", "3601", between("PIMS_SMS_COOLDOWN", 0, 3600, "3601")],
  ["PIMS_SMS_MAX_COOLDOWN", "60", ok((c) => c.sms.maxCooldownSeconds, 60)],
  ["PIMS_SMS_MAX_COOLDOWN", "86401", between("PIMS_SMS_MAX_COOLDOWN", 0, 86_400, "86401")],
  ["PIMS_SMS_PER_PHONE_HOUR", "3", ok((c) => c.sms.quotas.perPhoneHour, 3)],
  ["PIMS_SMS_PER_PHONE_HOUR", "0", between("PIMS_SMS_PER_PHONE_HOUR", 1, 10_000, "0")],
  ["PIMS_SMS_PER_PHONE_DAY", "6", ok((c) => c.sms.quotas.perPhoneDay, 6)],
  ["PIMS_SMS_PER_PHONE_DAY", "100001", between("PIMS_SMS_PER_PHONE_DAY", 1, 100_000, "100001")],
  ["PIMS_SMS_PER_TRUSTED_PHONE_HOUR", "4", ok((c) => c.sms.quotas.perTrustedPhoneHour, 4)],
  ["PIMS_SMS_PER_TRUSTED_PHONE_HOUR", "10001", between("PIMS_SMS_PER_TRUSTED_PHONE_HOUR", 1, 10_000, "10001")],
  ["PIMS_SMS_PER_TRUSTED_PHONE_DAY", "8", ok((c) => c.sms.quotas.perTrustedPhoneDay, 8)],
  ["PIMS_SMS_PER_TRUSTED_PHONE_DAY", "0", between("PIMS_SMS_PER_TRUSTED_PHONE_DAY", 1, 100_000, "0")],
  ["PIMS_SMS_PER_ACCOUNT_HOUR", "7", ok((c) => c.sms.quotas.perAccountHour, 7)],
  ["PIMS_SMS_PER_ACCOUNT_HOUR", "0", between("PIMS_SMS_PER_ACCOUNT_HOUR", 1, 10_000, "0")],
  ["PIMS_SMS_PER_ACCOUNT_DAY", "15", ok((c) => c.sms.quotas.perAccountDay, 15)],
  ["PIMS_SMS_PER_ACCOUNT_DAY", "0", between("PIMS_SMS_PER_ACCOUNT_DAY", 1, 100_000, "0")],
  ["PIMS_SMS_PER_ADDRESS_HOUR", "30", ok((c) => c.sms.quotas.perAddressHour, 30)],
  ["PIMS_SMS_PER_ADDRESS_HOUR", "0", between("PIMS_SMS_PER_ADDRESS_HOUR", 1, 100_000, "0")],
  ["PIMS_SMS_PER_ADDRESS_DAY", "300", ok((c) => c.sms.quotas.perAddressDay, 300)],
  ["PIMS_SMS_PER_ADDRESS_DAY", "1000001", between("PIMS_SMS_PER_ADDRESS_DAY", 1, 1_000_000, "1000001")],
  ["PIMS_SMS_GLOBAL_PER_HOUR", "500", ok((c) => c.sms.breaker.globalHour, 500)],
  ["PIMS_SMS_GLOBAL_PER_HOUR", "0", between("PIMS_SMS_GLOBAL_PER_HOUR", 1, 100_000_000, "0")],
  ["PIMS_SMS_COUNTRY_PER_HOUR", "10", ok((c) => c.sms.breaker.countryHour, 10)],
  ["PIMS_SMS_COUNTRY_PER_HOUR", "0", between("PIMS_SMS_COUNTRY_PER_HOUR", 1, 100_000_000, "0")],
  ["PIMS_SMS_COUNTRY_BUDGETS", "be=300, +881=5", ok((c) => c.sms.breaker.perCountryHour, { BE: 300, "+881": 5 })],
  [
    "PIMS_SMS_COUNTRY_BUDGETS",
    "France=3",
    refused('PIMS_SMS_COUNTRY_BUDGETS takes COUNTRY=PER_HOUR pairs such as FR=2000, got "France=3"'),
  ],
  ["PIMS_SMS_LANGUAGE", "fr", ok((c) => c.sms.language, "fr")],
  ["PIMS_SMS_LANGUAGE", "de", refused('PIMS_SMS_LANGUAGE must be one of en, fr, got "de"')],
  ["PIMS_SMS_BRAND", "Acme Motors", ok((c) => c.sms.brand, "Acme Motors")],
  [
    "PIMS_SMS_BRAND",
    "{code}",
    refused('PIMS_SMS_BRAND must be 1 to 30 printable characters without braces, got "{code}"'),
  ],
  ["PIMS_SMS_INBOX_SIZE", "10", ok((c) => c.sms.inboxSize, 10)],
  ["PIMS_SMS_INBOX_SIZE", "0", between("PIMS_SMS_INBOX_SIZE", 1, 10_000, "0")],
  ["PIMS_SMS_TIMEOUT_MS", "1000", ok((c) => c.sms.timeoutMs, 1000)],
  ["PIMS_SMS_TIMEOUT_MS", "99", between("PIMS_SMS_TIMEOUT_MS", 100, 60_000, "99")],
  ["PIMS_SMS_RETRIES", "0", ok((c) => c.sms.retries, 0)],
  ["PIMS_SMS_RETRIES", "6", between("PIMS_SMS_RETRIES", 0, 5, "6")],
  ["PIMS_PIN_MIN_LENGTH", "6", ok((c) => c.pin.minLength, 6)],
  ["PIMS_PIN_MIN_LENGTH", "3", between("PIMS_PIN_MIN_LENGTH", 4, 12, "3")],
  ["PIMS_PIN_MIN_LENGTH", "9", refused("PIMS_PIN_MIN_LENGTH must not exceed PIMS_PIN_MAX_LENGTH")],
  ["PIMS_PIN_MAX_LENGTH", "12", ok((c) => c.pin.maxLength, 12)],
  ["PIMS_PIN_MAX_LENGTH", "13", between("PIMS_PIN_MAX_LENGTH", 4, 12, "13")],
  ["PIMS_PIN_BLOCKLIST", "off", ok((c) => c.pin.blockCommon, false)],
  ["PIMS_PIN_BLOCKLIST", "some", refused('PIMS_PIN_BLOCKLIST must be one of off, common, got "some"')],
  ["PIMS_PIN_MAX_FAILURES", "3", ok((c) => c.pin.maxFailures, 3)],
  ["PIMS_PIN_MAX_FAILURES", "0", between("PIMS_PIN_MAX_FAILURES", 1, 100, "0")],
  ["PIMS_OTP_LENGTH", "6", ok((c) => c.otp.length, 6)],
  ["PIMS_OTP_LENGTH", "11", between("PIMS_OTP_LENGTH", 6, 10, "11")],
  ["PIMS_OTP_TTL", "60", ok((c) => c.otp.ttlSeconds, 60)],
  ["PIMS_OTP_TTL", "0", between("PIMS_OTP_TTL", 1, 900, "0")],
  ["PIMS_OTP_MAX_FAILED_VERIFICATIONS", "3", ok((c) => c.otp.maxFailedVerifications, 3)],
  ["PIMS_OTP_MAX_FAILED_VERIFICATIONS", "11", between("PIMS_OTP_MAX_FAILED_VERIFICATIONS", 1, 10, "11")],
  ["PIMS_PUBLIC_URL", "https://pims.example.com/", ok((c) => c.publicUrl, "https://pims.example.com")],
  ["PIMS_PUBLIC_URL", "https://example.com/pims", ok((c) => c.publicUrl, "https://example.com/pims")],
  ["PIMS_PUBLIC_URL", "HTTPS://Pims.Example.com:443/", ok((c) => c.publicUrl, "https://pims.example.com")],
  [
    "PIMS_PUBLIC_URL",
    "pims.example.com",
    refused('PIMS_PUBLIC_URL must be an http(s) URL without query or fragment, got "pims.example.com"'),
  ],
  [
    "PIMS_PUBLIC_URL",
    "ftp://pims.example.com",
    refused('PIMS_PUBLIC_URL must be an http(s) URL without query or fragment, got "ftp://pims.example.com"'),
  ],
  [
    "PIMS_PUBLIC_URL",
    "https://pims.example.com/?x=1",
    refused('PIMS_PUBLIC_URL must be an http(s) URL without query or fragment, got "https://pims.example.com/?x=1"'),
  ],
  ["PIMS_ASSERTION_TTL", "300", ok((c) => c.assertions.ttlSeconds, 300)],
  ["PIMS_ASSERTION_TTL", "3600", between("PIMS_ASSERTION_TTL", 10, 600, "3600")],
  ["PIMS_RP_MAX_PER_MINUTE", "100", ok((c) => c.relyingParties.maxPerMinute, 100)],
  ["PIMS_RP_MAX_PER_MINUTE", "0", between("PIMS_RP_MAX_PER_MINUTE", 1, 100_000_000, "0")],
  ["PIMS_RECOVERY_MAX_LOGIN_AGE", "600", ok((c) => c.recovery.maxLoginAgeSeconds, 600)],
  ["PIMS_RECOVERY_MAX_LOGIN_AGE", "-1", between("PIMS_RECOVERY_MAX_LOGIN_AGE", 0, 30 * 86_400, "-1")],
  ["PIMS_RECOVERY_VISIBLE_FOR", "0", ok((c) => c.recovery.visibleForSeconds, 0)],
  ["PIMS_RECOVERY_VISIBLE_FOR", "400000000", between("PIMS_RECOVERY_VISIBLE_FOR", 0, 366 * 86_400, "400000000")],
  ["PIMS_ADMIN_KEY", "a".repeat(32), ok((c) => c.adminKey, "a".repeat(32))],
  [
    "PIMS_ADMIN_KEY",
    "short",
    refused("PIMS_ADMIN_KEY must be at least 32 characters (`pims secret generate` prints one)"),
  ],
  ["PIMS_TENANTS_FILE", "/etc/pims/tenants.yaml", ok((c) => c.tenantsFile, "/etc/pims/tenants.yaml")],
  [
    "PIMS_TENANTS_FILE",
    "   ",
    refused("PIMS_TENANTS_FILE must be the path of a .yaml, .yml or .json file, got only spaces"),
  ],
  [
    "PIMS_TENANTS_FILE",
    "/etc/pims/tenants.toml",
    refused('PIMS_TENANTS_FILE must be the path of a .yaml, .yml or .json file, got "/etc/pims/tenants.toml"'),
  ],
  ["PIMS_MAX_DEVICES", "2", ok((c) => c.devices.maxPerAccount, 2)],
  ["PIMS_MAX_DEVICES", "101", between("PIMS_MAX_DEVICES", 1, 100, "101")],
  ["PIMS_SIGNATURE_MAX_SKEW", "60", ok((c) => c.devices.maxSkewSeconds, 60)],
  ["PIMS_SIGNATURE_MAX_SKEW", "4", between("PIMS_SIGNATURE_MAX_SKEW", 5, 3600, "4")],
];

/** The problems `env` is refused for; none when it is accepted. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("loadConfig, setting by setting", () => {
  it.for(TABLE)("%s=%s", ([variable, value, outcome, context = {}]) => {
    const env = { ...context, [variable]: value };
    if ("problem" in outcome) {
      expect(problemsOf(env)).toEqual([outcome.problem]);
    } else {
      const warnings: string[] = [];
      const config = loadConfig(env, {}, { warn: (message) => warnings.push(message) });
      expect(outcome.read(config)).toEqual(outcome.is);
      expect(warnings).toEqual([]);
    }
  });

  it("has a row for every setting the loader knows, and none for a name it does not", () => {
    const rows = new Set(TABLE.map(([variable]) => variable));
    expect([...knownVariables()].filter((name) => !rows.has(name))).toEqual([]);
    expect([...rows].filter((name) => !knownVariables().has(name))).toEqual([]);
  });

  it("every good row changes what the loader answers: without the variable, another value or a refusal", () => {
    for (const [variable, value, outcome, context = {}] of TABLE) {
      if ("problem" in outcome) continue;
      const withIt = outcome.read(loadConfig({ ...context, [variable]: value }));
      const withoutIt = problemsOf({ ...context, [variable]: "" }).length
        ? "refused"
        : outcome.read(loadConfig({ ...context, [variable]: "" }));
      expect(withIt, variable).not.toEqual(withoutIt);
    }
  });
});
