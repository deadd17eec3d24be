import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { DestinationStream, Logger } from "pino";
import { Accounts } from "./accounts/Accounts.js";
import { accountHandlers } from "./accounts/accountHandlers.js";
import { OidcVerifier } from "./accounts/OidcVerifier.js";
import { PasswordHasher } from "./accounts/PasswordHasher.js";
import { SessionStore } from "./accounts/SessionStore.js";
import { AssertionKeys } from "./assertion/AssertionKeys.js";
import { Assertions } from "./assertion/Assertions.js";
import { AuditLog } from "./audit/AuditLog.js";
import { type Clock, systemClock } from "./Clock.js";
import type { Config } from "./config/Config.js";
import { ConfigError } from "./config/ConfigError.js";
import type { HandlerMap } from "./core/OperationCall.js";
import type { Keyring } from "./crypto/Keyring.js";
import { resolveSecretKey } from "./crypto/resolveSecretKey.js";
import { describeDatabase } from "./db/describeDatabase.js";
import { migrate } from "./db/migrate.js";
import { type OpenOptions, openDatabase } from "./db/openDatabase.js";
import { Devices } from "./device/Devices.js";
import { deviceHandlers } from "./device/deviceHandlers.js";
import { DatabaseNonces } from "./device/NonceStore.js";
import { enrollmentHandlers } from "./enrollment/enrollmentHandlers.js";
import { buildApp } from "./http/buildApp.js";
import { createLogger } from "./log/createLogger.js";
import { Metrics } from "./metrics/Metrics.js";
import { Otps } from "./otp/Otps.js";
import { otpHandlers } from "./otp/otpHandlers.js";
import { PhoneNumbers } from "./phone/PhoneNumbers.js";
import { phoneHandlers } from "./phone/phoneHandlers.js";
import { TrustedPhones } from "./phone/TrustedPhones.js";
import { checkKeyring } from "./pin/checkKeyring.js";
import { PinGuard } from "./pin/PinGuard.js";
import { PinVerifiers } from "./pin/PinVerifiers.js";
import { pinHandlers } from "./pin/pinHandlers.js";
import { DatabaseCounters } from "./ratelimit/DatabaseCounters.js";
import type { RedisStores } from "./redis/RedisStores.js";
import { RelyingParties } from "./relyingParty/RelyingParties.js";
import type { Services } from "./Services.js";
import { buildSmsProvider } from "./sms/buildSmsProvider.js";
import { DatabaseCooldowns } from "./sms/Cooldowns.js";
import { SmsCodes } from "./sms/SmsCodes.js";
import { SmsInbox } from "./sms/SmsInbox.js";
import { SmsPumpingGuard } from "./sms/SmsPumpingGuard.js";
import { smsHandlers } from "./sms/smsHandlers.js";

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
}

export interface PimsServer {
  readonly app: FastifyInstance;
  readonly services: Services;
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
    ...options.database,
  });
  // Built once: the start-up checks below use the same owners the server then serves with.
  const pinVerifiers = new PinVerifiers(database.db, keyring, clock);
  const assertionKeys = new AssertionKeys(database.db, keyring, clock, config.assertions.ttlSeconds);
  try {
    await migrate(database.db as never, database.engine === "postgres" ? config.databaseSchema : undefined);
    await checkKeyring(pinVerifiers, keyring);
    await assertionKeys.ensureActive();
  } catch (error) {
    await database.close();
    if (error instanceof ConfigError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${describeDatabase(config.databaseUrl)} (PIMS_DATABASE_URL) cannot be used: ${why}`, {
      cause: error,
    });
  }
  const { db, engine } = database;
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
  const counters = redis ?? new DatabaseCounters(db, clock, database.counterDb);
  const cooldowns = redis ?? new DatabaseCooldowns(db, clock);
  const metrics = new Metrics(database.pool ? () => database.pool : undefined);
  const audit = new AuditLog(db, clock, (event) => metrics.event(event));
  // The inbox shows codes to whoever asks: only for the console provider, which sends nothing real.
  const smsInbox =
    config.mode === "development" && config.sms.provider === "console" ? new SmsInbox(config.sms.inboxSize) : undefined;
  const devices = new Devices(db, clock, config.devices.maxPerAccount);
  const accounts = new Accounts(db, clock, engine);
  // The assertions' issuer: PIMS_PUBLIC_URL, or (development) the URL the server listens on.
  let listeningUrl = `http://${config.host}:${config.port}`;
  const services: Services = {
    config,
    db,
    engine,
    transaction: (work) => db.transaction().execute(work),
    pingDatabase: async () => {
      await sql`select 1`.execute(db);
    },
    clock,
    keyring,
    logger,
    metrics,
    counters,
    audit,
    accounts,
    passwords: new PasswordHasher(config.passwords.concurrency, config.passwords.maxQueue),
    sessions: new SessionStore(db, clock, config.sessions),
    oidc: config.oidc ? new OidcVerifier(config.oidc, db, clock, accounts) : undefined,
    phoneNumbers: new PhoneNumbers(config.phone),
    trustedPhones: new TrustedPhones(db, clock),
    smsCodes: new SmsCodes({
      db,
      clock,
      keyring,
      counters,
      audit,
      logger,
      provider: buildSmsProvider(config.sms, clock, options.smsConsole),
      guard: new SmsPumpingGuard(counters, cooldowns, config.sms, {
        ipv6PrefixLength: config.ipv6PrefixLength,
        defaultRegion: config.phone.defaultRegion,
        onBreaker: (event) => {
          metrics.smsBreaker(event.scope);
          logger.warn(event, "SMS circuit breaker open: hourly budget spent, sends refused (2383)");
        },
      }),
      inbox: smsInbox,
      settings: config.sms,
    }),
    smsInbox,
    devices,
    nonces: redis ?? new DatabaseNonces(db, clock),
    pinVerifiers,
    pinGuard: new PinGuard(db, pinVerifiers, audit, config.pin, (deviceId, trx) =>
      devices.recordPinProof(deviceId, trx),
    ),
    otps: new Otps(db, keyring, clock, config.otp),
    relyingParties: new RelyingParties(db, clock),
    assertionKeys,
    assertions: new Assertions(
      assertionKeys,
      clock,
      () => config.publicUrl ?? listeningUrl,
      config.assertions.ttlSeconds,
    ),
    redis,
  };
  // Every operation the server answers has its handler here, or this does not compile.
  const handlers: HandlerMap = {
    ...accountHandlers(services),
    ...phoneHandlers(services),
    ...smsHandlers(services),
    ...deviceHandlers(services),
    ...enrollmentHandlers(services),
    ...pinHandlers(services),
    ...otpHandlers(services),
  };
  const app = buildApp(services, handlers);
  const purgeExpired = async () => {
    await Promise.all([
      services.nonces.purge(),
      services.otps.purgeExpired(),
      services.sessions.purgeExpired(),
      services.smsCodes.purgeExpired(),
      counters.purge(),
      cooldowns.purge(),
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
      closed ??= app.close().finally(() => Promise.all([database.close(), redis?.close()]).then(() => undefined));
      return closed;
    },
  };
}
