import { availableParallelism } from "node:os";
import type { Config, PinSettings, SmsSettings } from "./Config.js";
import type { ConfigError } from "./ConfigError.js";
import { corsSettings } from "./corsSettings.js";
import { EnvReader } from "./readEnv.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Allowed ranges of the whole-number settings a tenant's policy may also set (docs/tenants.md): one
 * rule for the variable and for the tenants file.
 */
export const RANGES = {
  PIMS_PIN_MIN_LENGTH: [4, 12],
  PIMS_PIN_MAX_LENGTH: [4, 12],
  PIMS_PIN_MAX_FAILURES: [1, 100],
  PIMS_OTP_LENGTH: [6, 10],
  PIMS_OTP_TTL: [1, 900],
  PIMS_OTP_MAX_FAILED_VERIFICATIONS: [1, 10],
  PIMS_SMS_CODE_LENGTH: [4, 10],
  PIMS_SMS_CODE_TTL: [30, 3600],
  PIMS_SMS_CODE_MAX_TRIES: [1, 10],
  PIMS_SMS_PER_PHONE_HOUR: [1, 10_000],
  PIMS_SMS_PER_PHONE_DAY: [1, 100_000],
  PIMS_SMS_PER_TRUSTED_PHONE_HOUR: [1, 10_000],
  PIMS_SMS_PER_TRUSTED_PHONE_DAY: [1, 100_000],
  PIMS_SMS_PER_ACCOUNT_HOUR: [1, 10_000],
  PIMS_SMS_PER_ACCOUNT_DAY: [1, 100_000],
  PIMS_SMS_PER_ADDRESS_HOUR: [1, 100_000],
  PIMS_SMS_PER_ADDRESS_DAY: [1, 1_000_000],
} as const satisfies Record<string, readonly [min: number, max: number]>;

/**
 * Reads the configuration from environment variables (see docs/configuration.md). Flags of
 * `pims serve` are applied on top as overrides. Throws one {@link ConfigError} listing every
 * problem, each naming its setting.
 *
 * @example
 * const config = loadConfig(process.env, { port: 9000 });
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Overrides = {},
  options: LoadConfigOptions = {},
): Config {
  const read = new EnvReader(env);
  return read.finish(() => readConfig(read, env, overrides), options.warn, knownVariables());
}

type Overrides = Partial<Pick<Config, "port" | "host" | "databaseUrl" | "mode" | "dataDir">>;

export interface LoadConfigOptions {
  /** Told of each `PIMS_*` variable that is not a setting (a misspelling), which is ignored. */
  readonly warn?: (message: string) => void;
}

/**
 * Every variable the configuration reads: what the reader is asked for with every optional branch
 * taken (OpenID Connect, Twilio, webhook), so the list follows the code.
 */
export function knownVariables(): ReadonlySet<string> {
  const read = new EnvReader({
    PIMS_OIDC_ISSUER: "probe",
    PIMS_OIDC_AUDIENCE: "probe",
    PIMS_SMS_WEBHOOK_URL: "probe",
    PIMS_TWILIO_ACCOUNT_SID: "probe",
    PIMS_TWILIO_AUTH_TOKEN: "probe",
  });
  try {
    readConfig(read, {}, {});
  } catch {
    // Problems of the probe itself do not matter: only the names asked for do.
  }
  return read.asked;
}

/** The settings, each problem recorded in `read` (see {@link EnvReader.finish}). */
function readConfig(read: EnvReader, env: Readonly<Record<string, string | undefined>>, overrides: Overrides): Config {
  const nodeEnvMode = env.NODE_ENV === "production" ? "production" : undefined;
  const mode =
    overrides.mode ??
    read.oneOf<Config["mode"]>("PIMS_MODE", ["development", "production"], nodeEnvMode ?? "development");
  // Whether a mode was asked for at all: a flag, PIMS_MODE (an empty value says nothing), NODE_ENV.
  const explicitMode = overrides.mode ?? read.optional("PIMS_MODE") ?? nodeEnvMode;
  const dataDir = overrides.dataDir ?? read.string("PIMS_DATA_DIR", "./data");
  const databaseUrl = overrides.databaseUrl ?? read.string("PIMS_DATABASE_URL", `sqlite:${dataDir}/pims.db`);
  checkDatabaseUrl(read, databaseUrl);
  const secretKey = read.optional("PIMS_SECRET_KEY");
  if (mode === "production" && secretKey === undefined) {
    read.problem("PIMS_SECRET_KEY is required in production mode (generate one with `pims secret generate`)");
  }
  const metricsToken = read.optional("PIMS_METRICS_TOKEN");
  if (mode === "production" && metricsToken === undefined) {
    // Metrics name operations, outcomes and volumes: not for anyone who can reach the port.
    read.problem("PIMS_METRICS_TOKEN is required in production mode (`pims secret generate` prints one)");
  }
  const issuer = read.optional("PIMS_OIDC_ISSUER");
  const audience = read.optional("PIMS_OIDC_AUDIENCE");
  if ((issuer === undefined) !== (audience === undefined)) {
    read.problem("PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE go together");
  }
  return {
    mode,
    host: overrides.host ?? read.string("PIMS_HOST", "127.0.0.1"),
    port: overrides.port ?? read.integer("PIMS_PORT", 8080, 0, 65535),
    databaseUrl,
    databaseSchema: schemaName(read, read.optional("PIMS_DATABASE_SCHEMA")),
    databasePoolSize: read.integer("PIMS_DATABASE_POOL_SIZE", 10, 1, 1000),
    redisUrl: redisUrl(read, read.optional("PIMS_REDIS_URL")),
    redisPrefix: read.string("PIMS_REDIS_PREFIX", "pims:"),
    metricsToken,
    benchRoutes: read.boolean("PIMS_BENCH_ROUTES", false),
    dataDir,
    secretKey,
    previousSecretKeys: read.list("PIMS_SECRET_KEY_PREVIOUS"),
    logLevel: read.oneOf("PIMS_LOG_LEVEL", LOG_LEVELS, "info"),
    trustProxyHops: read.integer("PIMS_TRUST_PROXY_HOPS", 0, 0, 10),
    ipv6PrefixLength: read.integer("PIMS_RATE_LIMIT_IPV6_PREFIX", 64, 32, 128),
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
      defaultRegion: region(read, read.string("PIMS_DEFAULT_REGION", "FR"), "PIMS_DEFAULT_REGION"),
      countries: read.list("PIMS_PHONE_COUNTRIES").map((c) => region(read, c, "PIMS_PHONE_COUNTRIES")),
      mobileOnly: read.boolean("PIMS_PHONE_MOBILE_ONLY", true),
      changeProofWindowSeconds: read.integer("PIMS_PHONE_CHANGE_PIN_WINDOW", 300, 0, 3600),
      deniedPrefixes: deniedPrefixes(read),
    },
    sms: smsSettings(read, mode, explicitMode),
    pin: pinSettings(read),
    otp: {
      length: read.integer("PIMS_OTP_LENGTH", 8, ...RANGES.PIMS_OTP_LENGTH),
      ttlSeconds: read.integer("PIMS_OTP_TTL", 120, ...RANGES.PIMS_OTP_TTL),
      maxFailedVerifications: read.integer(
        "PIMS_OTP_MAX_FAILED_VERIFICATIONS",
        10,
        ...RANGES.PIMS_OTP_MAX_FAILED_VERIFICATIONS,
      ),
    },
    relyingParties: { maxPerMinute: read.integer("PIMS_RP_MAX_PER_MINUTE", 60_000, 1, 100_000_000) },
    publicUrl: publicUrl(read, read.optional("PIMS_PUBLIC_URL")),
    assertions: { ttlSeconds: read.integer("PIMS_ASSERTION_TTL", 120, 10, 600) },
    recovery: {
      maxLoginAgeSeconds: read.integer("PIMS_RECOVERY_MAX_LOGIN_AGE", 0, 0, 30 * 86_400),
      visibleForSeconds: read.integer("PIMS_RECOVERY_VISIBLE_FOR", 30 * 86_400, 0, 366 * 86_400),
    },
    adminKey: adminKey(read, read.optional("PIMS_ADMIN_KEY")),
    tenantsFile: tenantsFile(read, read.optional("PIMS_TENANTS_FILE")),
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

function checkDatabaseUrl(read: EnvReader, url: string): void {
  if (url.startsWith("sqlite:")) {
    if (url.length === "sqlite:".length) read.problem("PIMS_DATABASE_URL sqlite: needs a file path");
    return;
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return;
  read.problem(`PIMS_DATABASE_URL must start with sqlite: or postgres://, got "${url.split(":")[0]}:…"`);
}

function region(read: EnvReader, value: string, name: string): string {
  const upper = value.toUpperCase();
  if (!isRegion(upper)) read.problem(`${name} takes ISO 3166 country codes such as FR, got "${value}"`);
  return upper;
}

/** An ISO 3166 region code as the configuration takes it (upper case, two letters). */
export function isRegion(upper: string): boolean {
  return /^[A-Z]{2}$/.test(upper);
}

/** High-cost ranges refused by default: Inmarsat, satellite (GMSS), international networks, premium. */
export const DEFAULT_DENIED_PREFIXES = ["+870", "+881", "+882", "+883", "+979"] as const;

function deniedPrefixes(read: EnvReader): string[] {
  const raw = read.optional("PIMS_SMS_DENIED_PREFIXES");
  if (raw === undefined) return [...DEFAULT_DENIED_PREFIXES];
  if (raw.trim().toLowerCase() === "none") return [];
  const list = read.list("PIMS_SMS_DENIED_PREFIXES");
  for (const prefix of list) {
    if (!/^\+[0-9]{1,6}$/.test(prefix)) {
      read.problem(`PIMS_SMS_DENIED_PREFIXES takes E.164 prefixes such as +881 (or none), got "${prefix}"`);
    }
  }
  return list;
}

/** `FR=2000,+881=5`: hourly SMS budgets per destination. */
function countryBudgets(read: EnvReader): Record<string, number> {
  const budgets: Record<string, number> = {};
  for (const item of read.list("PIMS_SMS_COUNTRY_BUDGETS")) {
    const match = /^([A-Za-z]{2}|\+[0-9]{1,4})=([0-9]{1,9})$/.exec(item);
    if (!match) {
      read.problem(`PIMS_SMS_COUNTRY_BUDGETS takes COUNTRY=PER_HOUR pairs such as FR=2000, got "${item}"`);
      continue;
    }
    budgets[(match[1] as string).toUpperCase()] = Number(match[2]);
  }
  return budgets;
}

function smsSettings(read: EnvReader, mode: Config["mode"], explicitMode: string | undefined): SmsSettings {
  const configured = read.optional("PIMS_SMS_PROVIDER");
  if (configured === undefined && mode === "production") {
    read.problem("PIMS_SMS_PROVIDER is required in production mode (webhook or twilio)");
  }
  const provider = read.oneOf("PIMS_SMS_PROVIDER", ["console", "webhook", "twilio"] as const, "console");
  // A real operator sends real codes: the development conveniences must be asked for, not assumed.
  if (provider !== "console" && explicitMode === undefined) {
    read.problem(
      `PIMS_SMS_PROVIDER=${provider} sends real SMS: set PIMS_MODE=production (or PIMS_MODE=development, explicitly, to try the provider with the demo page)`,
    );
  }
  const webhookUrl = read.optional("PIMS_SMS_WEBHOOK_URL");
  if (provider === "webhook" && webhookUrl === undefined) {
    read.problem("PIMS_SMS_PROVIDER=webhook needs PIMS_SMS_WEBHOOK_URL");
  }
  const accountSid = read.optional("PIMS_TWILIO_ACCOUNT_SID");
  const authToken = read.optional("PIMS_TWILIO_AUTH_TOKEN");
  const from = read.optional("PIMS_TWILIO_FROM");
  const messagingServiceSid = read.optional("PIMS_TWILIO_MESSAGING_SERVICE_SID");
  if (provider === "twilio" && (!accountSid || !authToken || (!from && !messagingServiceSid))) {
    read.problem(
      "PIMS_SMS_PROVIDER=twilio needs PIMS_TWILIO_ACCOUNT_SID, PIMS_TWILIO_AUTH_TOKEN and PIMS_TWILIO_FROM (or PIMS_TWILIO_MESSAGING_SERVICE_SID)",
    );
  }
  return {
    provider,
    codeLength: read.integer("PIMS_SMS_CODE_LENGTH", 6, ...RANGES.PIMS_SMS_CODE_LENGTH),
    codeTtlSeconds: read.integer("PIMS_SMS_CODE_TTL", 300, ...RANGES.PIMS_SMS_CODE_TTL),
    maxTriesPerCode: read.integer("PIMS_SMS_CODE_MAX_TRIES", 3, ...RANGES.PIMS_SMS_CODE_MAX_TRIES),
    tryBudget: read.integer("PIMS_SMS_TRY_BUDGET", 10, 1, 1000),
    tryWindowSeconds: read.integer("PIMS_SMS_TRY_WINDOW", 86_400, 60, 30 * 86_400),
    cooldownSeconds: read.integer("PIMS_SMS_COOLDOWN", 30, 0, 3600),
    maxCooldownSeconds: read.integer("PIMS_SMS_MAX_COOLDOWN", 900, 0, 86_400),
    quotas: {
      perPhoneHour: read.integer("PIMS_SMS_PER_PHONE_HOUR", 5, ...RANGES.PIMS_SMS_PER_PHONE_HOUR),
      perPhoneDay: read.integer("PIMS_SMS_PER_PHONE_DAY", 10, ...RANGES.PIMS_SMS_PER_PHONE_DAY),
      perTrustedPhoneHour: read.integer(
        "PIMS_SMS_PER_TRUSTED_PHONE_HOUR",
        5,
        ...RANGES.PIMS_SMS_PER_TRUSTED_PHONE_HOUR,
      ),
      perTrustedPhoneDay: read.integer("PIMS_SMS_PER_TRUSTED_PHONE_DAY", 10, ...RANGES.PIMS_SMS_PER_TRUSTED_PHONE_DAY),
      perAccountHour: read.integer("PIMS_SMS_PER_ACCOUNT_HOUR", 10, ...RANGES.PIMS_SMS_PER_ACCOUNT_HOUR),
      perAccountDay: read.integer("PIMS_SMS_PER_ACCOUNT_DAY", 20, ...RANGES.PIMS_SMS_PER_ACCOUNT_DAY),
      perAddressHour: read.integer("PIMS_SMS_PER_ADDRESS_HOUR", 20, ...RANGES.PIMS_SMS_PER_ADDRESS_HOUR),
      perAddressDay: read.integer("PIMS_SMS_PER_ADDRESS_DAY", 100, ...RANGES.PIMS_SMS_PER_ADDRESS_DAY),
    },
    breaker: {
      globalHour: read.integer("PIMS_SMS_GLOBAL_PER_HOUR", 1000, 1, 100_000_000),
      countryHour: read.integer("PIMS_SMS_COUNTRY_PER_HOUR", 50, 1, 100_000_000),
      perCountryHour: countryBudgets(read),
    },
    language: read.oneOf("PIMS_SMS_LANGUAGE", ["en", "fr"] as const, "en"),
    brand: smsBrand(read.string("PIMS_SMS_BRAND", "Pims"), read),
    senderId: undefined,
    texts: {},
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

/** A brand name for SMS texts: 1 to 30 printable characters, no placeholder braces. */
export const SMS_BRAND = /^[^\p{C}{}]{1,30}$/u;

function smsBrand(brand: string, read: EnvReader): string {
  if (!SMS_BRAND.test(brand))
    read.problem(`PIMS_SMS_BRAND must be 1 to 30 printable characters without braces, got "${brand}"`);
  return brand;
}

function pinSettings(read: EnvReader): PinSettings {
  const minLength = read.integer("PIMS_PIN_MIN_LENGTH", 4, ...RANGES.PIMS_PIN_MIN_LENGTH);
  const maxLength = read.integer("PIMS_PIN_MAX_LENGTH", 8, ...RANGES.PIMS_PIN_MAX_LENGTH);
  if (minLength > maxLength) read.problem("PIMS_PIN_MIN_LENGTH must not exceed PIMS_PIN_MAX_LENGTH");
  return {
    minLength,
    maxLength,
    blockCommon: read.oneOf("PIMS_PIN_BLOCKLIST", ["off", "common"] as const, "common") === "common",
    blocked: [],
    maxFailures: read.integer("PIMS_PIN_MAX_FAILURES", 5, ...RANGES.PIMS_PIN_MAX_FAILURES),
  };
}

function adminKey(read: EnvReader, value: string | undefined): string | undefined {
  if (value !== undefined && value.length < 32) {
    read.problem("PIMS_ADMIN_KEY must be at least 32 characters (`pims secret generate` prints one)");
  }
  return value;
}

/** The path only: the file is read at start by `loadTenantsFile` (tenantsFile.ts), not here. */
function tenantsFile(read: EnvReader, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === "") {
    read.problem("PIMS_TENANTS_FILE must be the path of a .yaml, .yml or .json file, got only spaces");
    return undefined;
  }
  if (value !== undefined && !/\.(ya?ml|json)$/i.test(value)) {
    read.problem(`PIMS_TENANTS_FILE must be the path of a .yaml, .yml or .json file, got "${value}"`);
  }
  return value;
}

function publicUrl(read: EnvReader, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
    read.problem(`PIMS_PUBLIC_URL must be an http(s) URL without query or fragment, got "${value}"`);
    return undefined;
  }
  // As the relying-party kit reads it (`new URL`): host in lower case, default port dropped, so
  // that the `iss` of the assertions is the URL relying parties compare it with.
  return url.href.replace(/\/+$/, "");
}

function schemaName(read: EnvReader, value: string | undefined): string | undefined {
  if (value !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    read.problem(`PIMS_DATABASE_SCHEMA must be a lower-case SQL identifier, got "${value}"`);
  }
  return value;
}

function redisUrl(read: EnvReader, value: string | undefined): string | undefined {
  if (value !== undefined && !/^rediss?:\/\//.test(value)) {
    read.problem(`PIMS_REDIS_URL must start with redis:// or rediss://`);
  }
  return value;
}
