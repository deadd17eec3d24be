import { callerEvent } from "../audit/callerEvent.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import { lockAccountRow } from "../db/lockAccountRow.js";
import { deviceOf, type HandlerMap, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";
import { checkCallerPin } from "./checkCallerPin.js";
import { checkNewPin } from "./checkNewPin.js";
import { requireRecentLogin } from "./requireRecentLogin.js";

/** S13 (reset a forgotten PIN with a code from S6) and S14 (change it, knowing it). */
export function pinHandlers(services: Services): HandlerMap {
  const { trustedPhones, smsCodes, pinVerifiers, pinGuard, otps, devices, audit, config, db } = services;
  return {
    "pincode.reset": async (call) => {
      const { accountId } = principalOf(call);
      const pin = call.params.pinCode as string;
      requireRecentLogin(services, call);
      checkNewPin(pin, config.pin, "pinCode");
      const trusted = await trustedPhones.of(accountId);
      if (trusted === undefined) throw new PimsError(2305);
      await smsCodes.consume({
        accountId,
        purpose: "resetPin",
        phone: trusted,
        code: call.params.smsCode as string,
        clientAddress: call.clientAddress,
      });
      if ((await pinVerifiers.matches(accountId, pin)) === true) throw new PimsError(2315);
      const wasBlocked = await pinGuard.isBlocked(accountId);
      await db.transaction().execute(async (trx) => {
        // Serialized with an S15 in flight, so none commits an OTP past the revocation below.
        await lockAccountRow(trx, services.engine, accountId);
        await pinVerifiers.set(accountId, pin, trx);
        await pinGuard.reset(accountId, trx);
        // Every OTP the former PIN vouched for dies with it.
        const revokedOtps = await otps.revoke({ accountId }, "pin.reset", trx);
        await devices.forgetPinProofs(accountId, trx);
        await audit.append(callerEvent(call, "pin.reset", { revokedOtps }), trx);
        if (wasBlocked) await audit.append(callerEvent(call, "account.unblock", { by: "pin.reset" }), trx);
      });
      return null;
    },

    "pincode.update": async (call) => {
      const { accountId } = principalOf(call);
      deviceOf(call); // 2313 before anything else when the request is not from an enrolled device
      const oldPin = call.params.oldPIN as string;
      const newPin = call.params.newPIN as string;
      checkNewPin(newPin, config.pin, "newPIN");
      await checkCallerPin(pinGuard, call, oldPin);
      if (constantTimeEqual(oldPin, newPin)) throw new PimsError(2315);
      await db.transaction().execute(async (trx) => {
        await lockAccountRow(trx, services.engine, accountId);
        await pinVerifiers.set(accountId, newPin, trx);
        const revokedOtps = await otps.revoke({ accountId }, "pin.change", trx);
        await devices.forgetPinProofs(accountId, trx);
        await audit.append(callerEvent(call, "pin.change", { revokedOtps }), trx);
      });
      return null;
    },
  };
}
