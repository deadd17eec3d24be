import type { Factor } from "@pims/protocol";
import type { Kysely } from "kysely";
import { callerEvent } from "../audit/callerEvent.js";
import type { Handlers, OperationCall } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { DatabaseSchema } from "../db/schema.js";
import { type SignedTransaction, verifyTransactionSignature } from "../device/verifyTransactionSignature.js";
import { callerPinCheck } from "../pin/checkCallerPin.js";
import { throwFor } from "../pin/PinGuard.js";
import type { Services } from "../Services.js";
import { methodsOf } from "./Otps.js";

type OtpCall = OperationCall<"otp.withPIN" | "otp.withoutPIN">;

/**
 * S15 (possession + knowledge) and S16 (possession only): an OTP for this enrolled device, bound to
 * a context or to a transaction the device signed (decision 0025), not both.
 */
export function otpHandlers(
  services: Pick<Services, "otps" | "pinGuard" | "pinVerifiers" | "audit" | "transaction" | "config">,
): Handlers<"otp.withPIN" | "otp.withoutPIN"> {
  const { otps, pinGuard, pinVerifiers, audit, transaction, config } = services;
  const recoveryVisibleMs = config.recovery.visibleForSeconds * 1000;
  const issue = async (
    call: OtpCall,
    factors: readonly Factor[],
    signed: SignedTransaction | undefined,
    db: Kysely<DatabaseSchema>,
    /** With the PIN: when it was last recovered by SMS, as the attempt read it. */
    recoveredAt: number | null = null,
  ) => {
    const { accountId } = call.principal;
    const { device } = call;
    // RFC 8176: the device key (software-secured as far as Pims can tell); with the PIN, `pin` and
    // `mfa` — and `sms` after a recent SMS recovery of the PIN, so a relying party can see it.
    const methods = methodsOf(factors);
    if (factors.includes("knowledge") && pinVerifiers.recoveredWithin(recoveredAt, recoveryVisibleMs)) {
      methods.push("sms");
    }
    const { otp } = await otps.issue(
      {
        accountId,
        deviceId: device.deviceId,
        factors,
        methods,
        context: call.params.context,
        transaction: signed,
      },
      db,
    );
    const detail = { factors: factors.join("+"), ...(signed ? { transaction: signed.digest } : {}) };
    await audit.append(callerEvent(call, "otp.issue", detail), db);
    // The transaction as it was signed, for the app to show: what the relying party will be shown.
    return signed ? { otp, transaction: JSON.parse(signed.canonical) as unknown } : { otp };
  };
  return {
    "otp.withPIN": async (call) => {
      // Checked before the PIN: a request whose transaction signature fails spends no attempt.
      const signed = signedTransaction(call);
      // The PIN attempt and the OTP it unlocks commit together; a wrong PIN's count commits too,
      // and only then is the error thrown.
      const { outcome, otp } = await transaction(async (trx) => {
        // First in the transaction: a replay spends no attempt, and the nonce commits with the rest.
        await call.device.spendNonce(trx);
        const attempt = await pinGuard.attempt(callerPinCheck(call, call.params.pinCode), trx);
        return {
          outcome: attempt.outcome,
          otp:
            attempt.outcome === "correct"
              ? await issue(call, ["possession", "knowledge"], signed, trx, attempt.recoveredAt)
              : undefined,
        };
      });
      throwFor(outcome);
      return otp;
    },
    "otp.withoutPIN": async (call) => {
      const signed = signedTransaction(call);
      // A blocked account gets no OTP at all: it is under attack or its owner must reset the PIN.
      if (await pinGuard.isBlocked(call.principal.accountId)) throw new PimsError(2310);
      return transaction(async (trx) => {
        await call.device.spendNonce(trx);
        return issue(call, ["possession"], signed, trx);
      });
    },
  };
}

/** The transaction and its device signature (2311 when wrong); a context and a transaction: 2102. */
function signedTransaction(call: OtpCall): SignedTransaction | undefined {
  if (call.params.context !== undefined && call.params.transaction !== undefined) {
    throw new PimsError(2102, { parameter: "transaction" });
  }
  return verifyTransactionSignature(call.principal.accountId, call.device, call.params.transaction);
}
