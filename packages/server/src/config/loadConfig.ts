import { availableParallelism } from "node:os";
import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
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
    dataDir,
    secretKey,
    previousSecretKeys: read.list("PIMS_SECRET_KEY_PREVIOUS"),
    logLevel: read.oneOf("PIMS_LOG_LEVEL", LOG_LEVELS, "info"),
    trustProxyHops: read.integer("PIMS_TRUST_PROXY_HOPS", 0, 0, 10),
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
