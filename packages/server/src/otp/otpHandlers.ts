import type { Factor } from "@pims/protocol";
import { deviceOf, type HandlerMap, type OperationCall, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import { checkCallerPin } from "../pin/checkCallerPin.js";
import type { Services } from "../Services.js";

/** S15 (possession + knowledge) and S16 (possession only): an OTP for this enrolled device. */
export function otpHandlers(services: Services): HandlerMap {
  const { otps, pinGuard, audit } = services;
  const issue = async (call: OperationCall, factors: readonly Factor[]) => {
    const { accountId } = principalOf(call);
    const device = deviceOf(call);
    const { otp } = await otps.issue({ accountId, deviceId: device.deviceId, factors, context: call.params.context });
    await audit.append({
      event: "otp.issue",
      outcome: "success",
      accountId,
      deviceId: device.deviceId,
      clientAddress: call.clientAddress,
      detail: { factors: factors.join("+") },
    });
    return { otp };
  };
  return {
    "otp.withPIN": async (call) => {
      await checkCallerPin(pinGuard, call, call.params.pinCode as string);
      return issue(call, ["possession", "knowledge"]);
    },
    "otp.withoutPIN": async (call) => {
      // A blocked account gets no OTP at all: it is under attack or its owner must reset the PIN.
      if (await pinGuard.isBlocked(principalOf(call).accountId)) throw new PimsError(2310);
      return issue(call, ["possession"]);
    },
  };
}
