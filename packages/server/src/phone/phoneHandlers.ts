import { type HandlerMap, type OperationCall, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";

/** S3 (read the trusted number), S8 (trust a certified number), S9 (replace it). */
export function phoneHandlers(services: Services): HandlerMap {
  const { trustedPhones, phoneNumbers, smsCodes, audit } = services;

  /** The number of the request, after its S5 code was consumed. */
  const certified = async (call: OperationCall) => {
    const phone = phoneNumbers.parse(call.params.phoneNumber as string);
    await smsCodes.consume({
      accountId: principalOf(call).accountId,
      purpose: "certification",
      phone: phone.e164,
      code: call.params.smsCode as string,
      clientAddress: call.clientAddress,
    });
    return phone;
  };

  return {
    "trustedPhoneNumber.get": async (call) => {
      const trusted = await trustedPhones.of(principalOf(call).accountId);
      if (trusted === undefined) throw new PimsError(2307);
      return { phoneNumber: phoneNumbers.display(trusted) };
    },

    "smscode.addPhoneNumber": async (call) => {
      const { accountId } = principalOf(call);
      if ((await trustedPhones.of(accountId)) !== undefined) throw new PimsError(2317);
      const phone = await certified(call);
      await trustedPhones.add(accountId, phone.e164);
      await audit.append({
        event: "phone.trust",
        outcome: "success",
        accountId,
        clientAddress: call.clientAddress,
        ...(phone.country ? { detail: { country: phone.country } } : {}),
      });
      return null;
    },

    "smscode.modifyPhoneNumber": async (call) => {
      const { accountId } = principalOf(call);
      const phone = await certified(call);
      await services.db.transaction().execute(async (trx) => {
        await trustedPhones.replace(accountId, phone.e164, trx);
        await smsCodes.invalidateAll(accountId, trx);
        await audit.append(
          {
            event: "phone.change",
            outcome: "success",
            accountId,
            clientAddress: call.clientAddress,
            ...(phone.country ? { detail: { country: phone.country } } : {}),
          },
          trx,
        );
      });
      return null;
    },
  };
}
