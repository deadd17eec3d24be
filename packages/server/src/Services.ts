import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Accounts } from "./accounts/Accounts.js";
import type { OidcVerifier } from "./accounts/OidcVerifier.js";
import type { PasswordHasher } from "./accounts/PasswordHasher.js";
import type { SessionStore } from "./accounts/SessionStore.js";
import type { AssertionKeys } from "./assertion/AssertionKeys.js";
import type { Assertions } from "./assertion/Assertions.js";
import type { AuditLog } from "./audit/AuditLog.js";
import type { Clock } from "./Clock.js";
import type { Config } from "./config/Config.js";
import type { Keyring } from "./crypto/Keyring.js";
import type { Engine } from "./db/openDatabase.js";
import type { DatabaseSchema } from "./db/schema.js";
import type { Devices } from "./device/Devices.js";
import type { NonceStore } from "./device/NonceStore.js";
import type { Metrics } from "./metrics/Metrics.js";
import type { Otps } from "./otp/Otps.js";
import type { PhoneNumbers } from "./phone/PhoneNumbers.js";
import type { TrustedPhones } from "./phone/TrustedPhones.js";
import type { PinGuard } from "./pin/PinGuard.js";
import type { PinVerifiers } from "./pin/PinVerifiers.js";
import type { Counters } from "./ratelimit/Counters.js";
import type { RedisStores } from "./redis/RedisStores.js";
import type { RelyingParties } from "./relyingParty/RelyingParties.js";
import type { SmsCodes } from "./sms/SmsCodes.js";
import type { SmsInbox } from "./sms/SmsInbox.js";

/**
 * What the capabilities work with, built once per process by {@link createPimsServer}. A handler
 * factory takes the few of these it uses (`Pick<Services, …>`); no handler queries the database
 * itself: each table has one owning capability (docs/architecture.md).
 */
export interface Services {
  readonly config: Config;
  /** The database, for the composition root, the health check and tests — not for handlers. */
  readonly db: Kysely<DatabaseSchema>;
  readonly engine: Engine;
  /**
   * Runs `work` in one database transaction, committed when it resolves; the capabilities' methods
   * take the `trx` it is given so that their writes commit together.
   */
  readonly transaction: <T>(work: (trx: Kysely<DatabaseSchema>) => Promise<T>) => Promise<T>;
  /** Resolves when the database answers a trivial statement (the readiness check). */
  readonly pingDatabase: () => Promise<void>;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly counters: Counters;
  /**
   * The deployment's counters, across tenants (decision 0028): a client address's limits and a
   * number's SMS quotas are the same whichever brand asks. Without tenants, the same as counters'.
   */
  readonly deploymentCounters: Counters;
  readonly audit: AuditLog;
  readonly accounts: Accounts;
  readonly passwords: PasswordHasher;
  readonly sessions: SessionStore;
  readonly oidc: OidcVerifier | undefined;
  readonly phoneNumbers: PhoneNumbers;
  readonly trustedPhones: TrustedPhones;
  readonly smsCodes: SmsCodes;
  readonly devices: Devices;
  /** The deployment's: a signed request's nonce is spent for every tenant (one key may be enrolled in two). */
  readonly nonces: NonceStore;
  readonly pinVerifiers: PinVerifiers;
  readonly pinGuard: PinGuard;
  readonly otps: Otps;
  readonly relyingParties: RelyingParties;
  readonly assertionKeys: AssertionKeys;
  readonly assertions: Assertions;
  /** Development mode with the console provider only: it shows codes to whoever asks. */
  readonly smsInbox: SmsInbox | undefined;
  /** When `PIMS_REDIS_URL` is set (also in {@link counters} and {@link nonces}). */
  readonly redis?: RedisStores | undefined;
}
