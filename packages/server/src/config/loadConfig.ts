import { availableParallelism } from "node:os";
import type { Config, PinSettings, SmsSettings } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import { corsSettings } from "./corsSettings.js";
import { EnvReader } from "./readEnv.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Reads the configuration from environment variables (see docs/configuration.md). Flags of
 * `pims serve` are applied on top as overrides. Throws {@link ConfigError} naming the setting.
 *
 * @example
 * const config = loadConfig(process.env, { port: 9000 });
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Pick<Config, "port" | "host" | "databaseUrl" | "mode" | "dataDir">> = {},
): Config {
  const read = new EnvReader(env);
  const mode =
    overrides.mode ??
    read.oneOf<Config["mode"]>(
      "PIMS_MODE",
      ["development", "production"],
      env.NODE_ENV === "production" ? "production" : "development",
    );
  const dataDir = overrides.dataDir ?? read.string("PIMS_DATA_DIR", "./data");
  const databaseUrl = overrides.databaseUrl ?? read.string("PIMS_DATABASE_URL", `sqlite:${dataDir}/pims.db`);
  checkDatabaseUrl(databaseUrl);
  const secretKey = read.optional("PIMS_SECRET_KEY");
  if (mode === "production" && secretKey === undefined) {
    throw new ConfigError("PIMS_SECRET_KEY is required in production mode (generate one with `pims secret generate`)");
  }
  const issuer = read.optional("PIMS_OIDC_ISSUER");
  const audience = read.optional("PIMS_OIDC_AUDIENCE");
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new ConfigError("PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE go together");
  }
  return {
    mode,
    host: overrides.host ?? read.string("PIMS_HOST", "127.0.0.1"),
    port: overrides.port ?? read.integer("PIMS_PORT", 8080, 0, 65535),
    databaseUrl,
    databaseSchema: schemaName(read.optional("PIMS_DATABASE_SCHEMA")),
    databasePoolSize: read.integer("PIMS_DATABASE_POOL_SIZE", 10, 1, 1000),
    redisUrl: redisUrl(read.optional("PIMS_REDIS_URL")),
    redisPrefix: read.string("PIMS_REDIS_PREFIX", "pims:"),
    metricsToken: read.optional("PIMS_METRICS_TOKEN"),
    benchRoutes: read.boolean("PIMS_BENCH_ROUTES", false),
    dataDir,
    secretKey,
    previousSecretKeys: read.list("PIMS_SECRET_KEY_PREVIOUS"),
    logLevel: read.oneOf("PIMS_LOG_LEVEL", LOG_LEVELS, "info"),
    trustProxyHops: read.integer("PIMS_TRUST_PROXY_HOPS", 0, 0, 10),
    cors: corsSettings(read, mode),
    sessions: {
      accessTokenTtlSeconds: read.integer("PIMS_ACCESS_TOKEN_TTL", 900, 30, 86_400),
      refreshTokenTtlSeconds: read.integer("PIMS_REFRESH_TOKEN_TTL", 30 * 86_400, 300, 365 * 86_400),
    },
    login: {
      maxFailuresPerLogin: read.integer("PIMS_LOGIN_MAX_FAILURES_PER_LOGIN", 10, 1, 1000),
      maxFailuresPerAddress: read.integer("PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS", 100, 1, 100_000),
      maxAccountsPerAddress: read.integer("PIMS_MAX_ACCOUNTS_PER_ADDRESS", 20, 1, 100_000),
      windowSeconds: read.integer("PIMS_LOGIN_WINDOW", 900, 60, 86_400),
    },
    passwords: {
      concurrency: read.integer("PIMS_PASSWORD_HASH_CONCURRENCY", availableParallelism(), 1, 256),
      maxQueue: read.integer("PIMS_PASSWORD_HASH_QUEUE", 256, 0, 100_000),
    },
    phone: {
      defaultRegion: region(read.string("PIMS_DEFAULT_REGION", "FR"), "PIMS_DEFAULT_REGION"),
      countries: read.list("PIMS_PHONE_COUNTRIES").map((c) => region(c, "PIMS_PHONE_COUNTRIES")),
      mobileOnly: read.boolean("PIMS_PHONE_MOBILE_ONLY", true),
    },
    sms: smsSettings(read, mode),
    pin: pinSettings(read),
    otp: {
      length: read.integer("PIMS_OTP_LENGTH", 8, 6, 10),
      ttlSeconds: read.integer("PIMS_OTP_TTL", 120, 1, 900),
      maxFailedVerifications: read.integer("PIMS_OTP_MAX_FAILED_VERIFICATIONS", 10, 1, 10_000),
      failureWindowSeconds: read.integer("PIMS_OTP_FAILURE_WINDOW", 600, 10, 86_400),
    },
    relyingParties: { maxPerMinute: read.integer("PIMS_RP_MAX_PER_MINUTE", 60_000, 1, 100_000_000) },
    adminKey: adminKey(read.optional("PIMS_ADMIN_KEY")),
    devices: {
      maxPerAccount: read.integer("PIMS_MAX_DEVICES", 5, 1, 100),
      maxSkewSeconds: read.integer("PIMS_SIGNATURE_MAX_SKEW", 300, 5, 3600),
    },
    oidc:
      issuer !== undefined && audience !== undefined
        ? { issuer, audience, jwksUrl: read.optional("PIMS_OIDC_JWKS_URL") }
        : undefined,
  };
}

function checkDatabaseUrl(url: string): void {
  if (url.startsWith("sqlite:")) {
    if (url.length === "sqlite:".length) throw new ConfigError("PIMS_DATABASE_URL sqlite: needs a file path");
    return;
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return;
  throw new ConfigError(`PIMS_DATABASE_URL must start with sqlite: or postgres://, got "${url.split(":")[0]}:…"`);
}

function region(value: string, name: string): string {
  const upper = value.toUpperCase();
  if (!/^[A-Z]{2}$/.test(upper))
    throw new ConfigError(`${name} takes ISO 3166 country codes such as FR, got "${value}"`);
  return upper;
}

function smsSettings(read: EnvReader, mode: Config["mode"]): SmsSettings {
  const configured = read.optional("PIMS_SMS_PROVIDER");
  if (configured === undefined && mode === "production") {
    throw new ConfigError("PIMS_SMS_PROVIDER is required in production mode (webhook or twilio)");
  }
  const provider = read.oneOf("PIMS_SMS_PROVIDER", ["console", "webhook", "twilio"] as const, "console");
  const webhookUrl = read.optional("PIMS_SMS_WEBHOOK_URL");
  if (provider === "webhook" && webhookUrl === undefined) {
    throw new ConfigError("PIMS_SMS_PROVIDER=webhook needs PIMS_SMS_WEBHOOK_URL");
  }
  const accountSid = read.optional("PIMS_TWILIO_ACCOUNT_SID");
  const authToken = read.optional("PIMS_TWILIO_AUTH_TOKEN");
  const from = read.optional("PIMS_TWILIO_FROM");
  const messagingServiceSid = read.optional("PIMS_TWILIO_MESSAGING_SERVICE_SID");
  if (provider === "twilio" && (!accountSid || !authToken || (!from && !messagingServiceSid))) {
    throw new ConfigError(
      "PIMS_SMS_PROVIDER=twilio needs PIMS_TWILIO_ACCOUNT_SID, PIMS_TWILIO_AUTH_TOKEN and PIMS_TWILIO_FROM (or PIMS_TWILIO_MESSAGING_SERVICE_SID)",
    );
  }
  return {
    provider,
    codeLength: read.integer("PIMS_SMS_CODE_LENGTH", 6, 4, 10),
    codeTtlSeconds: read.integer("PIMS_SMS_CODE_TTL", 300, 30, 3600),
    maxTriesPerCode: read.integer("PIMS_SMS_CODE_MAX_TRIES", 3, 1, 10),
    tryBudget: read.integer("PIMS_SMS_TRY_BUDGET", 10, 1, 1000),
    tryWindowSeconds: read.integer("PIMS_SMS_TRY_WINDOW", 86_400, 60, 30 * 86_400),
    cooldownSeconds: read.integer("PIMS_SMS_COOLDOWN", 30, 0, 3600),
    maxCooldownSeconds: read.integer("PIMS_SMS_MAX_COOLDOWN", 900, 0, 86_400),
    quotas: {
      perPhoneHour: read.integer("PIMS_SMS_PER_PHONE_HOUR", 5, 1, 10_000),
      perPhoneDay: read.integer("PIMS_SMS_PER_PHONE_DAY", 10, 1, 100_000),
      perAccountHour: read.integer("PIMS_SMS_PER_ACCOUNT_HOUR", 10, 1, 10_000),
      perAccountDay: read.integer("PIMS_SMS_PER_ACCOUNT_DAY", 20, 1, 100_000),
      perAddressHour: read.integer("PIMS_SMS_PER_ADDRESS_HOUR", 20, 1, 100_000),
      perAddressDay: read.integer("PIMS_SMS_PER_ADDRESS_DAY", 100, 1, 1_000_000),
    },
    language: read.oneOf("PIMS_SMS_LANGUAGE", ["en", "fr"] as const, "en"),
    inboxSize: read.integer("PIMS_SMS_INBOX_SIZE", 100, 1, 10_000),
    webhook:
      webhookUrl === undefined ? undefined : { url: webhookUrl, secret: read.optional("PIMS_SMS_WEBHOOK_SECRET") },
    twilio:
      accountSid && authToken
        ? {
            accountSid,
            authToken,
            from,
            messagingServiceSid,
            baseUrl: read.string("PIMS_TWILIO_BASE_URL", "https://api.twilio.com"),
          }
        : undefined,
    timeoutMs: read.integer("PIMS_SMS_TIMEOUT_MS", 5_000, 100, 60_000),
    retries: read.integer("PIMS_SMS_RETRIES", 2, 0, 5),
  };
}

function pinSettings(read: EnvReader): PinSettings {
  const minLength = read.integer("PIMS_PIN_MIN_LENGTH", 4, 4, 12);
  const maxLength = read.integer("PIMS_PIN_MAX_LENGTH", 8, 4, 12);
  if (minLength > maxLength) throw new ConfigError("PIMS_PIN_MIN_LENGTH must not exceed PIMS_PIN_MAX_LENGTH");
  return {
    minLength,
    maxLength,
    blockCommon: read.oneOf("PIMS_PIN_BLOCKLIST", ["off", "common"] as const, "off") === "common",
    maxFailures: read.integer("PIMS_PIN_MAX_FAILURES", 5, 1, 100),
  };
}

function adminKey(value: string | undefined): string | undefined {
  if (value !== undefined && value.length < 32) {
    throw new ConfigError("PIMS_ADMIN_KEY must be at least 32 characters (`pims secret generate` prints one)");
  }
  return value;
}

function schemaName(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    throw new ConfigError(`PIMS_DATABASE_SCHEMA must be a lower-case SQL identifier, got "${value}"`);
  }
  return value;
}

function redisUrl(value: string | undefined): string | undefined {
  if (value !== undefined && !/^rediss?:\/\//.test(value)) {
    throw new ConfigError(`PIMS_REDIS_URL must start with redis:// or rediss://`);
  }
  return value;
}
