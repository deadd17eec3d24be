import { callerEvent } from "../audit/callerEvent.js";
import type { Handlers } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import type { Services } from "../Services.js";
import { checkCallerPin } from "./checkCallerPin.js";
import { checkNewPin } from "./checkNewPin.js";
import { requireRecentLogin } from "./requireRecentLogin.js";

/** S13 (reset a forgotten PIN with a code from S6) and S14 (change it, knowing it). */
export function pinHandlers(
  services: Pick<
    Services,
    | "accounts"
    | "trustedPhones"
    | "smsCodes"
    | "pinVerifiers"
    | "pinGuard"
    | "otps"
    | "devices"
    | "audit"
    | "config"
    | "clock"
    | "transaction"
  >,
): Handlers<"pincode.reset" | "pincode.update"> {
  const { accounts, trustedPhones, smsCodes, pinVerifiers, pinGuard, otps, devices, audit, config, transaction } =
    services;
  return {
    "pincode.reset": async (call) => {
      const { accountId } = call.principal;
      const pin = call.params.pinCode;
      requireRecentLogin(services, call);
      checkNewPin(pin, config.pin, "pinCode");
      const trusted = await trustedPhones.of(accountId);
      if (trusted === undefined) throw new PimsError(2305);
      await smsCodes.consume({
        accountId,
        purpose: "resetPin",
        phone: trusted,
        code: call.params.smsCode,
        clientAddress: call.clientAddress,
      });
      if ((await pinVerifiers.matches(accountId, pin)) === true) throw new PimsError(2315);
      const wasBlocked = await pinGuard.isBlocked(accountId);
      await transaction(async (trx) => {
        // Serialized with an S15 in flight, so none commits an OTP past the revocation below.
        await accounts.lockRow(accountId, trx);
        await pinVerifiers.set(accountId, pin, trx);
        await pinVerifiers.recordRecovery(accountId, trx);
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
      const { accountId } = call.principal;
      const { oldPIN: oldPin, newPIN: newPin } = call.params;
      checkNewPin(newPin, config.pin, "newPIN");
      await checkCallerPin(pinGuard, call, oldPin);
      if (constantTimeEqual(oldPin, newPin)) throw new PimsError(2315);
      await transaction(async (trx) => {
        await accounts.lockRow(accountId, trx);
        await pinVerifiers.set(accountId, newPin, trx);
        const revokedOtps = await otps.revoke({ accountId }, "pin.change", trx);
        await devices.forgetPinProofs(accountId, trx);
        await audit.append(callerEvent(call, "pin.change", { revokedOtps }), trx);
      });
      return null;
    },
  };
}
