import { callerEvent } from "../audit/callerEvent.js";
import type { Handlers, OperationCall } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { checkCallerPin } from "../pin/checkCallerPin.js";
import type { Services } from "../Services.js";
import { languageOf } from "../sms/templates.js";

/**
 * S3 (read the trusted number), S8 (trust a certified number), S9 (replace it: possession and
 * knowledge, docs/decisions/0009-phone-change-needs-knowledge.md).
 */
export function phoneHandlers(
  services: Pick<
    Services,
    "trustedPhones" | "phoneNumbers" | "smsCodes" | "pinGuard" | "devices" | "audit" | "config" | "transaction"
  >,
): Handlers<"trustedPhoneNumber.get" | "smscode.addPhoneNumber" | "smscode.modifyPhoneNumber"> {
  const { trustedPhones, phoneNumbers, smsCodes, pinGuard, devices, audit, config, transaction } = services;

  /** The number of the request, after its S5 code was consumed. */
  const certified = async (call: OperationCall<"smscode.addPhoneNumber" | "smscode.modifyPhoneNumber">) => {
    const phone = phoneNumbers.parse(call.params.phoneNumber);
    await smsCodes.consume({
      accountId: call.principal.accountId,
      purpose: "certification",
      phone: phone.e164,
      code: call.params.smsCode,
      clientAddress: call.clientAddress,
    });
    return phone;
  };

  return {
    "trustedPhoneNumber.get": async (call) => {
      const trusted = await trustedPhones.of(call.principal.accountId);
      if (trusted === undefined) throw new PimsError(2307);
      return { phoneNumber: phoneNumbers.display(trusted) };
    },

    "smscode.addPhoneNumber": async (call) => {
      const { accountId } = call.principal;
      if ((await trustedPhones.of(accountId)) !== undefined) throw new PimsError(2317);
      const phone = await certified(call);
      await trustedPhones.add(accountId, phone.e164);
      await audit.append(callerEvent(call, "phone.trust", phone.country ? { country: phone.country } : undefined));
      return null;
    },

    "smscode.modifyPhoneNumber": async (call) => {
      const { accountId } = call.principal;
      const { device } = call;
      const refuse = async (code: 2308 | 2310) => {
        await audit.append({ ...callerEvent(call, "phone.change", { reason: code }), outcome: "refused" });
        return new PimsError(code);
      };
      // Possession is the signed request; knowledge is the PIN now, or one this device just proved.
      if (await pinGuard.isBlocked(accountId)) throw await refuse(2310);
      const pinCode = call.params.pinCode;
      const windowMs = config.phone.changeProofWindowSeconds * 1000;
      if (pinCode !== undefined) {
        await checkCallerPin(pinGuard, call, pinCode);
      } else if (!devices.hasPinProof(device.record, windowMs)) {
        throw await refuse(2308);
      }
      const phone = await certified(call);
      const former = await trustedPhones.of(accountId);
      await transaction(async (trx) => {
        // A recent proof is spent by the change it allowed (one atomic statement: racing S9 cannot share
        // it). A change made with pinCode spends the proof its own PIN check left, so the device does
        // not come out of it able to change the number again without the PIN.
        const spent = await devices.spendPinProof(device.deviceId, windowMs, trx);
        if (pinCode === undefined && !spent) throw new PimsError(2308);
        await trustedPhones.replace(accountId, phone.e164, trx);
        await smsCodes.invalidateAll(accountId, trx);
        await audit.append(
          callerEvent(call, "phone.change", {
            proof: pinCode === undefined ? "recentPin" : "pinCode",
            ...(phone.country ? { country: phone.country } : {}),
          }),
          trx,
        );
      });
      if (former !== undefined && former !== phone.e164) {
        await smsCodes.notify({
          accountId,
          notice: "phoneChanged",
          phone: former,
          ending: phone.e164.slice(-2),
          clientAddress: call.clientAddress,
          language: languageOf(call.acceptLanguage, config.sms.language),
        });
      }
      return null;
    },
  };
}
