import type { FastifyInstance } from "fastify";
import type { DestinationStream, Logger } from "pino";
import { type Argon2Cost, PasswordHasher } from "./accounts/PasswordHasher.js";
import { AssertionKeys } from "./assertion/AssertionKeys.js";
import { type Clock, systemClock } from "./Clock.js";
import type { Config } from "./config/Config.js";
import { ConfigError } from "./config/ConfigError.js";
import { applyTenantPolicy, loadTenantsFile, type TenantPolicy } from "./config/tenantsFile.js";
import type { Keyring } from "./crypto/Keyring.js";
import { resolveSecretKey } from "./crypto/resolveSecretKey.js";
import { describeDatabase } from "./db/describeDatabase.js";
import { migrate } from "./db/migrate.js";
import { type OpenOptions, openDatabase } from "./db/openDatabase.js";
import { DEPLOYMENT_TENANT, withoutTenant } from "./db/TenantScope.js";
import { buildApp } from "./http/buildApp.js";
import { createLogger } from "./log/createLogger.js";
import { Metrics } from "./metrics/Metrics.js";
import { checkKeyring } from "./pin/checkKeyring.js";
import type { RedisStores } from "./redis/RedisStores.js";
import type { Services } from "./Services.js";
import { SmsInbox } from "./sms/SmsInbox.js";
import { type Deployment, tenantCounters } from "./tenants/buildTenant.js";
import { TenantRegistry } from "./tenants/TenantRegistry.js";
import { type TenantEntry, Tenants } from "./tenants/Tenants.js";

export interface ServerOptions {
  readonly config: Config;
  /** Where log lines go (default stdout); tests capture them to prove no secret is logged. */
  readonly logDestination?: DestinationStream;
  readonly logger?: Logger;
  /** Injected time, for tests of expiry. */
  readonly clock?: Clock;
  /** Injected keys; default {@link resolveSecretKey}. */
  readonly keyring?: Keyring;
  readonly database?: OpenOptions;
  /** Where the console SMS provider prints (default stdout). */
  readonly smsConsole?: { write(text: string): unknown };
  /** Tenants to declare, instead of reading `PIMS_TENANTS_FILE` (tests). */
  readonly tenants?: readonly TenantEntry[];
  /**
   * The cost of new password hashes; default OWASP's argon2id baseline (19 MiB, 2 passes). Tests
   * whose subject is not the hash pass a lower one: no setting of the environment reaches it.
   */
  readonly passwordHashCost?: Argon2Cost;
}

export interface PimsServer {
  readonly app: FastifyInstance;
  /** The default tenant's services (a single-brand deployment's only ones). */
  readonly services: Services;
  /** Every tenant's services and handlers, and the client ids of their apps. */
  readonly tenants: TenantRegistry;
  /** Listens on the configured host and port (0: any free port); resolves the base URL. */
  listen(): Promise<string>;
  /**
   * Deletes what has expired: nonces, OTPs, sessions, SMS codes, rate-limit windows, cooldowns
   * (every minute on its own).
   */
  purgeExpired(): Promise<void>;
  /** Stops accepting, lets requests in flight finish, closes the database. */
  close(): Promise<void>;
}

/**
 * Builds a Pims server: opens the database, applies pending migrations, wires the capabilities.
 *
 * @example
 * const server = await createPimsServer({ config: loadConfig(process.env) });
 * const url = await server.listen();
 */
export async function createPimsServer(options: ServerOptions): Promise<PimsServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const clock = options.clock ?? systemClock;
  const keyring = options.keyring ?? (await resolveSecretKey(config, logger));
  const database = openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    onCheckpointError: (error) =>
      logger.error({ err: error }, "WAL checkpoint worker failed: SQLite checkpoints on the main thread again"),
    ...options.database,
  });
  const assertionKeys = new AssertionKeys(withoutTenant(database.db), keyring, clock, config.assertions.ttlSeconds);
  try {
    await migrate(database.db as never, database.engine === "postgres" ? config.databaseSchema : undefined);
    await assertionKeys.ensureActive();
  } catch (error) {
    await database.close();
    if (error instanceof ConfigError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${describeDatabase(config.databaseUrl)} (PIMS_DATABASE_URL) cannot be used: ${why}`, {
      cause: error,
    });
  }
  // Loaded only when configured: a deployment without Redis does not carry its client in memory.
  const redis: RedisStores | undefined = config.redisUrl
    ? new (await import("./redis/RedisStores.js")).RedisStores(config.redisUrl, config.redisPrefix, clock)
    : undefined;
  if (redis) {
    try {
      await redis.ready();
    } catch (error) {
      await Promise.all([redis.close(), database.close()]);
      throw error;
    }
  }
  const metrics = new Metrics(database.pool ? () => database.pool : undefined);
  // The assertions' issuer: PIMS_PUBLIC_URL, or (development) the URL the server listens on.
  let listeningUrl = `http://${config.host}:${config.port}`;
  const parts = { database, clock, redis };
  const deploymentStores = tenantCounters(parts, DEPLOYMENT_TENANT);
  const deployment: Deployment = {
    config,
    ...parts,
    keyring,
    logger,
    metrics,
    passwords: new PasswordHasher(config.passwords.concurrency, config.passwords.maxQueue, options.passwordHashCost),
    assertionKeys,
    issuer: () => config.publicUrl ?? listeningUrl,
    // The inbox shows codes to whoever asks: only for the console provider, which sends nothing real.
    smsInbox:
      config.mode === "development" && config.sms.provider === "console"
        ? new SmsInbox(config.sms.inboxSize)
        : undefined,
    smsConsole: options.smsConsole,
    deploymentCounters: deploymentStores.counters,
    deploymentNonces: deploymentStores.nonces,
  };
  let tenants: TenantRegistry;
  try {
    const tenantTable = new Tenants(withoutTenant(database.db), clock);
    const declared = options.tenants ?? (config.tenantsFile ? loadTenantsFile(config.tenantsFile, config) : []);
    await tenantTable.sync(declared);
    tenants = await TenantRegistry.open(deployment, tenantTable, (base, policy) =>
      applyTenantPolicy(base, policy as TenantPolicy),
    );
    // Every tenant's PIN verifiers must open with this process's keys (decision 0019).
    await checkKeyring(
      {
        countByKey: async () =>
          (await Promise.all(tenants.all().map((tenant) => tenant.services.pinVerifiers.countByKey()))).flat(),
      },
      keyring,
    );
  } catch (error) {
    await Promise.all([redis?.close(), database.close()]);
    throw error;
  }
  const services = tenants.default.services;
  const app = buildApp(services, tenants);
  const purgeExpired = async () => {
    await Promise.all([
      ...tenants.all().map((tenant) => tenant.purgeExpired()),
      deploymentStores.counters.purge(),
      deploymentStores.nonces.purge(),
      assertionKeys.purgeRetired(),
    ]);
  };
  const purge = setInterval(() => {
    purgeExpired().catch((error: unknown) => logger.warn({ err: error }, "purge of expired rows failed"));
  }, 60_000);
  purge.unref();
  let closed: Promise<void> | undefined;
  return {
    app,
    services,
    tenants,
    purgeExpired,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      listeningUrl = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
      return listeningUrl;
    },
    close() {
      clearInterval(purge);
      tenants.close();
      closed ??= app.close().finally(() => Promise.all([database.close(), redis?.close()]).then(() => undefined));
      return closed;
    },
  };
}
