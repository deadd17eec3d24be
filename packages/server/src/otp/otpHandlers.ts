import type { AuthenticationMethod, Factor } from "@pims/protocol";
import type { Kysely } from "kysely";
import { callerEvent } from "../audit/callerEvent.js";
import type { Handlers, OperationCall } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { DatabaseSchema } from "../db/schema.js";
import { callerPinCheck } from "../pin/checkCallerPin.js";
import { throwFor } from "../pin/PinGuard.js";
import type { Services } from "../Services.js";

/** S15 (possession + knowledge) and S16 (possession only): an OTP for this enrolled device. */
export function otpHandlers(
  services: Pick<Services, "otps" | "pinGuard" | "pinVerifiers" | "audit" | "transaction" | "config">,
): Handlers<"otp.withPIN" | "otp.withoutPIN"> {
  const { otps, pinGuard, pinVerifiers, audit, transaction, config } = services;
  const recoveryVisibleMs = config.recovery.visibleForSeconds * 1000;
  const issue = async (
    call: OperationCall<"otp.withPIN" | "otp.withoutPIN">,
    factors: readonly Factor[],
    db: Kysely<DatabaseSchema>,
  ) => {
    const { accountId } = call.principal;
    const { device } = call;
    // RFC 8176: the device key (software-secured as far as Pims can tell); with the PIN, `pin` and
    // `mfa` — and `sms` after a recent SMS recovery of the PIN, so a relying party can see it.
    const methods: AuthenticationMethod[] = ["swk"];
    if (factors.includes("knowledge")) {
      methods.push("pin", "mfa");
      if (await pinVerifiers.recoveredWithin(accountId, recoveryVisibleMs, db)) methods.push("sms");
    }
    const { otp } = await otps.issue(
      { accountId, deviceId: device.deviceId, factors, methods, context: call.params.context },
      db,
    );
    await audit.append(callerEvent(call, "otp.issue", { factors: factors.join("+") }), db);
    return { otp };
  };
  return {
    "otp.withPIN": async (call) => {
      // The PIN attempt and the OTP it unlocks commit together; a wrong PIN's count commits too,
      // and only then is the error thrown.
      const { outcome, otp } = await transaction(async (trx) => {
        const attempt = await pinGuard.attempt(callerPinCheck(call, call.params.pinCode), trx);
        return {
          outcome: attempt,
          otp: attempt === "correct" ? await issue(call, ["possession", "knowledge"], trx) : undefined,
        };
      });
      throwFor(outcome);
      return otp;
    },
    "otp.withoutPIN": async (call) => {
      // A blocked account gets no OTP at all: it is under attack or its owner must reset the PIN.
      if (await pinGuard.isBlocked(call.principal.accountId)) throw new PimsError(2310);
      return transaction((trx) => issue(call, ["possession"], trx));
    },
  };
}
