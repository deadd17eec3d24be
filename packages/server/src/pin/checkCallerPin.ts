import { type Caller, deviceOf } from "../core/OperationCall.js";
import type { PinCheck, PinGuard } from "./PinGuard.js";

/** Checks `pin` as the PIN of the caller's account, from the caller's device, under the lockout. */
export function checkCallerPin(pinGuard: PinGuard, call: Caller, pin: string): Promise<void> {
  return pinGuard.check(callerPinCheck(call, pin));
}

/** The PIN check of a call: the caller's account and device. */
export function callerPinCheck(call: Caller, pin: string): PinCheck {
  return {
    accountId: call.principal.accountId,
    pin,
    deviceId: deviceOf(call).deviceId,
    clientAddress: call.clientAddress,
    operation: call.operation.name,
  };
}
