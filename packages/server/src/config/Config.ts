/** The server's settings, read once at start (config reference: docs/configuration.md). */
export interface Config {
  /** `development` serves the demo page and the SMS inbox and may generate a secret key. */
  readonly mode: "development" | "production";
  readonly host: string;
  readonly port: number;
  /** `sqlite:<path>` or `postgres://…`. */
  readonly databaseUrl: string;
  /** PostgreSQL schema Pims keeps its tables in (`PIMS_DATABASE_SCHEMA`); created if missing. */
  readonly databaseSchema: string | undefined;
  /** PostgreSQL connections per process. */
  readonly databasePoolSize: number;
  /** `redis://…`: rate-limit counters, cooldowns and nonces live there instead of the database. */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key (several deployments, or test runs, can share one Redis). */
  readonly redisPrefix: string;
  /** `PIMS_BENCH_ROUTES`: adds `POST /bench/noop`, the baseline of `npm run bench`. Off in real use. */
  readonly benchRoutes: boolean;
  /** Bearer token `/metrics` demands, when set. */
  readonly metricsToken: string | undefined;
  /** Folder for the SQLite file and the generated development key. */
  readonly dataDir: string;
  /** `PIMS_SECRET_KEY`, or undefined to generate/read `<dataDir>/secret.key` in development. */
  readonly secretKey: string | undefined;
  /** Former keys still accepted while their data is re-keyed (`PIMS_SECRET_KEY_PREVIOUS`). */
  readonly previousSecretKeys: readonly string[];
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Trust `X-Forwarded-For` from this many proxies (0: use the socket address). */
  readonly trustProxyHops: number;
  /** Per-address limits count an IPv6 client by this prefix (`PIMS_RATE_LIMIT_IPV6_PREFIX`, 64). */
  readonly ipv6PrefixLength: number;
  /** Browser pages of other origins allowed to call the SDK's routes (docs/configuration.md). */
  readonly cors: {
    /** Exact origins, normalized (`PIMS_CORS_ORIGINS`); empty: no cross-origin page is allowed. */
    readonly origins: readonly string[];
    /** How long a browser may cache a preflight answer (`PIMS_CORS_MAX_AGE`). */
    readonly maxAgeSeconds: number;
  };
  readonly sessions: {
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
  };
  readonly login: {
    /** Failed logins allowed per login within the window, then 2383. */
    readonly maxFailuresPerLogin: number;
    /** Failed logins allowed per client address within the window, then 2383. */
    readonly maxFailuresPerAddress: number;
    /** Accounts one client address may create within the window. */
    readonly maxAccountsPerAddress: number;
    readonly windowSeconds: number;
  };
  readonly passwords: {
    /** Argon2id hashes computed at once; further requests wait their turn. */
    readonly concurrency: number;
    /** Requests allowed to wait for a hash; beyond, 2204 (HTTP 503) at once. */
    readonly maxQueue: number;
  };
  readonly phone: PhoneSettings;
  readonly pin: PinSettings;
  readonly devices: DeviceSettings;
  readonly otp: OtpSettings;
  readonly relyingParties: RelyingPartySettings;
  /**
   * `PIMS_PUBLIC_URL`: the URL relying parties reach this deployment at, without a trailing slash;
   * the `iss` of step-up assertions. Unset: the URL the server listens on (development).
   */
  readonly publicUrl: string | undefined;
  readonly assertions: {
    /** `PIMS_ASSERTION_TTL`: lifetime of a step-up assertion, seconds. */
    readonly ttlSeconds: number;
  };
  readonly recovery: {
    /**
     * `PIMS_RECOVERY_VISIBLE_FOR`: for this many seconds after an SMS recovery of the PIN (S13, or
     * S12 and a new enrollment), step-ups with the PIN report `amr` `sms` (default 30 days; 0: never).
     */
    readonly visibleForSeconds: number;
    /**
     * `PIMS_RECOVERY_MAX_LOGIN_AGE`: S12 and S13 (which discard the PIN) demand a login at most this
     * many seconds old; 0 (default): no such demand, the SMS code or the device suffices.
     */
    readonly maxLoginAgeSeconds: number;
  };
  /** `PIMS_ADMIN_KEY`: the bearer of the admin API; the API is off without it. */
  readonly adminKey: string | undefined;
  /**
   * `PIMS_TENANTS_FILE`: path of the tenants file (docs/tenants.md), read at start with
   * `loadTenantsFile`; undefined: the `default` tenant alone, with this configuration's policy.
   */
  readonly tenantsFile: string | undefined;
  readonly sms: SmsSettings;
  readonly oidc:
    | {
        readonly issuer: string;
        readonly audience: string;
        /** Taken from the issuer's discovery document when absent. */
        readonly jwksUrl: string | undefined;
      }
    | undefined;
}

export interface PhoneSettings {
  /** ISO 3166 region for national numbers (`PIMS_DEFAULT_REGION`), and for S3's national format. */
  readonly defaultRegion: string;
  /** Allowed countries (ISO codes); empty allows all. */
  readonly countries: readonly string[];
  /** Refuse numbers that cannot receive SMS (fixed lines). */
  readonly mobileOnly: boolean;
  /**
   * How long a PIN proven by a device (S15, S9 with `pinCode`) lets that device replace the trusted number
   * (S9) without `pinCode`; once. 0: S9 always needs `pinCode`.
   */
  readonly changeProofWindowSeconds: number;
  /** E.164 prefixes refused (high-cost ranges: satellite, international networks, premium). */
  readonly deniedPrefixes: readonly string[];
}

export type SmsProviderName = "console" | "webhook" | "twilio";

/** The messages a tenant may word itself, and the placeholders its texts may hold. */
export const SMS_TEXT_PURPOSES = ["enrollment", "certification", "resetPin", "phoneChanged"] as const;
export const SMS_PLACEHOLDERS = ["code", "minutes", "brand", "ending"] as const;

/** What an SMS says, by language and purpose, with `{code}`, `{minutes}`, `{brand}` (and `{ending}` in notices). */
export type SmsTexts = Readonly<
  Partial<Record<"en" | "fr", Readonly<Partial<Record<(typeof SMS_TEXT_PURPOSES)[number], string>>>>>
>;

export interface SmsSettings {
  readonly provider: SmsProviderName;
  readonly codeLength: number;
  readonly codeTtlSeconds: number;
  /** Wrong tries allowed on one code. */
  readonly maxTriesPerCode: number;
  /**
   * Tries allowed per account within `tryWindowSeconds`, across codes and purposes; beyond, each
   * new code gets one try and a wrong one voids it (a spent budget never refuses a fresh code).
   */
  readonly tryBudget: number;
  readonly tryWindowSeconds: number;
  /** First resend cooldown per number; it doubles with each send within an hour. */
  readonly cooldownSeconds: number;
  readonly maxCooldownSeconds: number;
  readonly quotas: SmsQuotas;
  /** Circuit breakers: SMS per hour for the whole deployment and per destination country. */
  readonly breaker: SmsBreaker;
  /** Language of SMS texts when the request names none it knows (`en`, `fr`). */
  readonly language: "en" | "fr";
  /** The name the texts give (`{brand}`): `PIMS_SMS_BRAND`, "Pims"; a tenant's name by default (decision 0028). */
  readonly brand: string;
  /** The sender the messages show (an alphanumeric id or a number), when the operator lets the sender choose. */
  readonly senderId: string | undefined;
  /** A tenant's own texts, by language and purpose, replacing the built-in ones (sms/templates.ts). */
  readonly texts: SmsTexts;
  /** Messages kept by the development inbox. */
  readonly inboxSize: number;
  readonly webhook: { readonly url: string; readonly secret: string | undefined } | undefined;
  readonly twilio:
    | {
        readonly accountSid: string;
        readonly authToken: string;
        readonly from: string | undefined;
        readonly messagingServiceSid: string | undefined;
        readonly baseUrl: string;
      }
    | undefined;
  /** Per attempt, for webhook and Twilio. */
  readonly timeoutMs: number;
  /** Further attempts after a failed one (network error, 429, 5xx). */
  readonly retries: number;
}

/**
 * SMS sends allowed per hour and per day, by number, by account and by client address. A number's
 * certification codes (S5, anyone may ask) and the codes to it as an account's trusted number
 * (S4, S6) have quotas of their own.
 */
export interface SmsQuotas {
  readonly perPhoneHour: number;
  readonly perPhoneDay: number;
  readonly perTrustedPhoneHour: number;
  readonly perTrustedPhoneDay: number;
  readonly perAccountHour: number;
  readonly perAccountDay: number;
  readonly perAddressHour: number;
  readonly perAddressDay: number;
}

export interface SmsBreaker {
  /** SMS per hour for the whole deployment (all processes). */
  readonly globalHour: number;
  /** SMS per hour to a country other than the default region, unless `perCountryHour` names it. */
  readonly countryHour: number;
  /** Budgets per destination: ISO region, or `+881`-style calling code for non-geographic ranges. */
  readonly perCountryHour: Readonly<Record<string, number>>;
}

export interface PinSettings {
  readonly minLength: number;
  readonly maxLength: number;
  /** Refuse the most common PINs (repeated digits, runs, the usual favourites). */
  readonly blockCommon: boolean;
  /** PINs refused besides (a tenant's `pin.blocklist`: its brand's dates, its phone number prefixes…). */
  readonly blocked: readonly string[];
  /** Consecutive wrong PINs that block the account. */
  readonly maxFailures: number;
}

export interface DeviceSettings {
  /** Active devices one account may have. */
  readonly maxPerAccount: number;
  /** How far a signed request's timestamp may be from the server's clock. */
  readonly maxSkewSeconds: number;
}

export interface OtpSettings {
  readonly length: number;
  readonly ttlSeconds: number;
  /**
   * Wrong guesses a live OTP may face (wrong verifications of its account while it lives); at the
   * limit every live OTP of the account is voided. Verifications that follow are not refused.
   */
  readonly maxFailedVerifications: number;
}

export interface RelyingPartySettings {
  /** Verifications one relying party may ask per minute. */
  readonly maxPerMinute: number;
}
