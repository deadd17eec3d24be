import type { Factor } from "@pims/protocol";
import type { Kysely } from "kysely";
import { callerEvent } from "../audit/callerEvent.js";
import type { DatabaseSchema } from "../db/schema.js";
import { deviceOf, type HandlerMap, type OperationCall, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import { callerPinCheck } from "../pin/checkCallerPin.js";
import { throwFor } from "../pin/PinGuard.js";
import type { Services } from "../Services.js";

/** S15 (possession + knowledge) and S16 (possession only): an OTP for this enrolled device. */
export function otpHandlers(services: Services): HandlerMap {
  const { otps, pinGuard, audit } = services;
  const issue = async (call: OperationCall, factors: readonly Factor[], db: Kysely<DatabaseSchema>) => {
    const { accountId } = principalOf(call);
    const device = deviceOf(call);
    const { otp } = await otps.issue(
      { accountId, deviceId: device.deviceId, factors, context: call.params.context },
      db,
    );
    await audit.append(callerEvent(call, "otp.issue", { factors: factors.join("+") }), db);
    return { otp };
  };
  return {
    "otp.withPIN": async (call) => {
      // The PIN attempt and the OTP it unlocks commit together; a wrong PIN's count commits too,
      // and only then is the error thrown.
      const { outcome, otp } = await services.db.transaction().execute(async (trx) => {
        const attempt = await pinGuard.attempt(callerPinCheck(call, call.params.pinCode as string), trx);
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
      if (await pinGuard.isBlocked(principalOf(call).accountId)) throw new PimsError(2310);
      return services.db.transaction().execute((trx) => issue(call, ["possession"], trx));
    },
  };
}
