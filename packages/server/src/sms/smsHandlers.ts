import type { Caller, Handlers } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { Services } from "../Services.js";
import { languageOf, type SmsPurpose } from "./templates.js";

/** S4, S5, S6: send a code (S5 to the given number, the others to the trusted number). */
export function smsHandlers(
  services: Pick<Services, "smsCodes" | "trustedPhones" | "phoneNumbers" | "config">,
): Handlers<"smscode.enrollment.request" | "smscode.resetPIN.request" | "smscode.phoneNumberCertification.request"> {
  const sendTo = async (call: Caller, purpose: SmsPurpose, phone: string) => {
    await services.smsCodes.send({
      accountId: call.principal.accountId,
      purpose,
      phone,
      clientAddress: call.clientAddress,
      language: languageOf(call.acceptLanguage, services.config.sms.language),
    });
    return null;
  };
  const toTrusted = (purpose: SmsPurpose) => async (call: Caller) => {
    const trusted = await services.trustedPhones.of(call.principal.accountId);
    if (trusted === undefined) throw new PimsError(2307);
    return sendTo(call, purpose, trusted);
  };
  return {
    "smscode.enrollment.request": toTrusted("enrollment"),
    "smscode.resetPIN.request": toTrusted("resetPin"),
    "smscode.phoneNumberCertification.request": (call) =>
      sendTo(call, "certification", services.phoneNumbers.parse(call.params.phoneNumber).e164),
  };
}
