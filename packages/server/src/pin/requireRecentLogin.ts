import type { Caller } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { Services } from "../Services.js";

/**
 * The recovery paths that discard the PIN (S12, S13) can demand a recent login
 * (`PIMS_RECOVERY_MAX_LOGIN_AGE`): then whoever holds an unlocked phone with its SIM also needs the
 * account password, not only the SMS. 2301 — the vendor's "log in again" — when the session's login
 * is older, or the bearer does not say when it was.
 */
export function requireRecentLogin(services: Pick<Services, "config" | "clock">, call: Caller): void {
  const maxAgeMs = services.config.recovery.maxLoginAgeSeconds * 1000;
  if (maxAgeMs <= 0) return;
  const { authenticatedAt } = call.principal;
  if (authenticatedAt === undefined || services.clock.now() - authenticatedAt > maxAgeMs) throw new PimsError(2301);
}
