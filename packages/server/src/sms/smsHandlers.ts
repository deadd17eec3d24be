import { type HandlerMap, type OperationCall, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";
import { languageOf, type SmsPurpose } from "./templates.js";

/** S4, S5, S6: send a code (S5 to the given number, the others to the trusted number). */
export function smsHandlers(services: Services): HandlerMap {
  const sendTo = async (call: OperationCall, purpose: SmsPurpose, phone: string) => {
    await services.smsCodes.send({
      accountId: principalOf(call).accountId,
      purpose,
      phone,
      clientAddress: call.clientAddress,
      language: languageOf(call.request.headers["accept-language"], services.config.sms.language),
    });
    return null;
  };
  const toTrusted = (purpose: SmsPurpose) => async (call: OperationCall) => {
    const trusted = await services.trustedPhones.of(principalOf(call).accountId);
    if (trusted === undefined) throw new PimsError(2307);
    return sendTo(call, purpose, trusted);
  };
  return {
    "smscode.enrollment.request": toTrusted("enrollment"),
    "smscode.resetPIN.request": toTrusted("resetPin"),
    "smscode.phoneNumberCertification.request": (call) =>
      sendTo(call, "certification", services.phoneNumbers.parse(call.params.phoneNumber as string).e164),
  };
}
