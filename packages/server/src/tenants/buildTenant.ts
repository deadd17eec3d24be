import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import { Accounts } from "../accounts/Accounts.js";
import { accountHandlers } from "../accounts/accountHandlers.js";
import { OidcVerifier } from "../accounts/OidcVerifier.js";
import type { PasswordHasher } from "../accounts/PasswordHasher.js";
import { SessionStore } from "../accounts/SessionStore.js";
import type { AssertionKeys } from "../assertion/AssertionKeys.js";
import { Assertions } from "../assertion/Assertions.js";
import { AuditLog } from "../audit/AuditLog.js";
import type { Clock } from "../Clock.js";
import type { Config } from "../config/Config.js";
import type { HandlerMap } from "../core/OperationCall.js";
import type { Keyring } from "../crypto/Keyring.js";
import { GroupCommit } from "../db/GroupCommit.js";
import type { Database } from "../db/openDatabase.js";
import type { DatabaseSchema } from "../db/schema.js";
import { DEFAULT_TENANT, DEPLOYMENT_TENANT, forTenant } from "../db/TenantScope.js";
import { Devices } from "../device/Devices.js";
import { deviceHandlers } from "../device/deviceHandlers.js";
import { DatabaseNonces, type NonceStore } from "../device/NonceStore.js";
import { enrollmentHandlers } from "../enrollment/enrollmentHandlers.js";
import type { Metrics } from "../metrics/Metrics.js";
import { Otps } from "../otp/Otps.js";
import { otpHandlers } from "../otp/otpHandlers.js";
import { PhoneNumbers } from "../phone/PhoneNumbers.js";
import { phoneHandlers } from "../phone/phoneHandlers.js";
import { TrustedPhones } from "../phone/TrustedPhones.js";
import { PinGuard } from "../pin/PinGuard.js";
import { PinVerifiers } from "../pin/PinVerifiers.js";
import { pinHandlers } from "../pin/pinHandlers.js";
import { CoalescedCounters } from "../ratelimit/CoalescedCounters.js";
import type { Counters } from "../ratelimit/Counters.js";
import { DatabaseCounters } from "../ratelimit/DatabaseCounters.js";
import type { RedisStores } from "../redis/RedisStores.js";
import { RelyingParties } from "../relyingParty/RelyingParties.js";
import type { Services } from "../Services.js";
import { buildSmsProvider } from "../sms/buildSmsProvider.js";
import { type Cooldowns, DatabaseCooldowns } from "../sms/Cooldowns.js";
import { SmsCodes } from "../sms/SmsCodes.js";
import type { SmsInbox } from "../sms/SmsInbox.js";
import { SmsPumpingGuard } from "../sms/SmsPumpingGuard.js";
import { smsHandlers } from "../sms/smsHandlers.js";

/** What every tenant of the process shares: one database, one key ring, one clock, one log. */
export interface Deployment {
  /** The deployment's own settings (a tenant's are these with its policy applied). */
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** One queue for every tenant: password hashing is the process's CPU, not a tenant's. */
  readonly passwords: PasswordHasher;
  readonly assertionKeys: AssertionKeys;
  /** The assertions' issuer base: PIMS_PUBLIC_URL, or (development) the URL the server listens on. */
  readonly issuer: () => string;
  readonly smsInbox: SmsInbox | undefined;
  readonly smsConsole: { write(text: string): unknown } | undefined;
  readonly redis: RedisStores | undefined;
  /** The deployment-wide counters (decision 0028): SMS numbers, addresses and breakers across tenants. */
  readonly deploymentCounters: Counters;
  /**
   * The nonces of signed requests, across tenants: a device key enrolled in two brands (an app
   * group sharing a keychain) must not have a request recorded at one replayed at the other.
   */
  readonly deploymentNonces: NonceStore;
}

/** One tenant's owners and handlers, each built once, on the tenant's database. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly services: Services;
  readonly handlers: HandlerMap;
  /** Deletes this tenant's expired rows (or Redis keys). */
  readonly purgeExpired: () => Promise<void>;
}

/** The counters of one tenant: in its rows of `rate_limits`, or under its prefix in Redis. */
export function tenantCounters(deployment: Pick<Deployment, "database" | "clock" | "redis">, tenant: string) {
  const { database, clock, redis } = deployment;
  const store = redis?.forTenant(tenant, tenant === DEFAULT_TENANT || tenant === DEPLOYMENT_TENANT);
  const db = forTenant(database.db, tenant);
  const counters: Counters =
    store ?? new DatabaseCounters(db, clock, forTenant(database.counterDb, tenant), database.counterDb === database.db);
  return {
    // A store outside the database's transactions (PostgreSQL's counter pool, Redis) is written
    // once per key per turn of the event loop for all the hits of that turn (decision 0030).
    counters: counters.joinsTransactions ? counters : new CoalescedCounters(counters),
    cooldowns: (store ?? new DatabaseCooldowns(db, clock)) as Cooldowns,
    nonces: store ?? new DatabaseNonces(db, clock),
  };
}

/**
 * Builds a tenant (decision 0028): every owner on `forTenant(db, id)`, so that each of its
 * queries — and each statement it compiles — is scoped to the tenant; `config` is the
 * deployment's with the tenant's policy applied. The handlers are today's, unchanged: a tenant is
 * a server of its own that shares the process.
 */
export function buildTenant(deployment: Deployment, tenant: { id: string; name: string; config: Config }): Tenant {
  const { config } = tenant;
  const { clock, keyring, logger, metrics, database } = deployment;
  const db: Kysely<DatabaseSchema> = forTenant(database.db, tenant.id);
  const { counters, cooldowns } = tenantCounters(deployment, tenant.id);
  const nonces = deployment.deploymentNonces;
  const audit = new AuditLog(db, clock, (event) => metrics.event(tenant.id, event));
  const devices = new Devices(db, clock, config.devices.maxPerAccount);
  const accounts = new Accounts(db, clock, database.engine);
  const pinVerifiers = new PinVerifiers(db, keyring, clock);
  const group = database.engine === "sqlite" ? new GroupCommit(db) : undefined;
  const services: Services = {
    config,
    db,
    engine: database.engine,
    // SQLite: the transactions of one turn of the event loop share a commit (decision 0030);
    // PostgreSQL groups concurrent commits itself. The audit's observer (the metrics) hears of a
    // transaction's events once it has committed, and never if it failed.
    transaction: (work) =>
      audit.heldUntilCommit((held) => (group ? group.run(held) : db.transaction().execute(held)), work),
    pingDatabase: async () => {
      await sql`select 1`.execute(db);
    },
    clock,
    keyring,
    logger,
    metrics,
    counters,
    deploymentCounters: deployment.deploymentCounters,
    audit,
    accounts,
    passwords: deployment.passwords,
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
      provider: buildSmsProvider(config.sms, clock, deployment.smsConsole),
      guard: new SmsPumpingGuard(counters, cooldowns, config.sms, {
        ipv6PrefixLength: config.ipv6PrefixLength,
        defaultRegion: config.phone.defaultRegion,
        deploymentCounters: deployment.deploymentCounters,
        onBreaker: (event) => {
          metrics.smsBreaker(event.scope);
          logger.warn(event, "SMS circuit breaker open: hourly budget spent, sends refused (2383)");
        },
      }),
      inbox: deployment.smsInbox,
      settings: config.sms,
    }),
    smsInbox: deployment.smsInbox,
    devices,
    nonces,
    pinVerifiers,
    pinGuard: new PinGuard(db, pinVerifiers, audit, config.pin, (deviceId, trx) =>
      devices.recordPinProof(deviceId, trx),
    ),
    otps: new Otps(db, keyring, clock, config.otp),
    relyingParties: new RelyingParties(db, clock),
    assertionKeys: deployment.assertionKeys,
    assertions: new Assertions(
      deployment.assertionKeys,
      clock,
      deployment.issuer,
      config.assertions.ttlSeconds,
      tenant.id === DEFAULT_TENANT ? undefined : tenant.id,
    ),
    redis: deployment.redis,
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
  const purgeExpired = async () => {
    await Promise.all([
      services.otps.purgeExpired(),
      services.sessions.purgeExpired(),
      services.smsCodes.purgeExpired(),
      counters.purge(),
      cooldowns.purge(),
    ]);
  };
  return { id: tenant.id, name: tenant.name, services, handlers, purgeExpired };
}
