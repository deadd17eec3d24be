/** The server's settings, read once at start (config reference: docs/configuration.md). */
export interface Config {
  /** `development` serves the demo page and the SMS inbox and may generate a secret key. */
  readonly mode: "development" | "production";
  readonly host: string;
  readonly port: number;
  /** `sqlite:<path>` or `postgres://…`. */
  readonly databaseUrl: string;
  /** Folder for the SQLite file and the generated development key. */
  readonly dataDir: string;
  /** `PIMS_SECRET_KEY`, or undefined to generate/read `<dataDir>/secret.key` in development. */
  readonly secretKey: string | undefined;
  /** Former keys still accepted while their data is re-keyed (`PIMS_SECRET_KEY_PREVIOUS`). */
  readonly previousSecretKeys: readonly string[];
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Trust `X-Forwarded-For` from this many proxies (0: use the socket address). */
  readonly trustProxyHops: number;
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
  readonly oidc:
    | {
        readonly issuer: string;
        readonly audience: string;
        /** Taken from the issuer's discovery document when absent. */
        readonly jwksUrl: string | undefined;
      }
    | undefined;
}
