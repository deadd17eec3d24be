import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { OidcVerifier } from "./accounts/OidcVerifier.js";
import type { PasswordHasher } from "./accounts/PasswordHasher.js";
import type { SessionStore } from "./accounts/SessionStore.js";
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

/** What every capability works with, built once per process by {@link createPimsServer}. */
export interface Services {
  readonly config: Config;
  readonly db: Kysely<DatabaseSchema>;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly counters: Counters;
  readonly audit: AuditLog;
  readonly passwords: PasswordHasher;
  readonly sessions: SessionStore;
  readonly oidc: OidcVerifier | undefined;
  readonly phoneNumbers: PhoneNumbers;
  readonly trustedPhones: TrustedPhones;
  readonly smsCodes: SmsCodes;
  readonly devices: Devices;
  readonly nonces: NonceStore;
  readonly pinVerifiers: PinVerifiers;
  readonly pinGuard: PinGuard;
  readonly otps: Otps;
  readonly relyingParties: RelyingParties;
  /** Development mode with the console provider only: it shows codes to whoever asks. */
  readonly smsInbox: SmsInbox | undefined;
  /** When `PIMS_REDIS_URL` is set (also in {@link counters} and {@link nonces}). */
  readonly redis?: RedisStores | undefined;
}
