import { deviceOf, type OperationCall, principalOf } from "../http/OperationHandler.js";
import type { PinCheck, PinGuard } from "./PinGuard.js";

/** Checks `pin` as the PIN of the caller's account, from the caller's device, under the lockout. */
export function checkCallerPin(pinGuard: PinGuard, call: OperationCall, pin: string): Promise<void> {
  return pinGuard.check(callerPinCheck(call, pin));
}

/** The PIN check of a call: the caller's account and device. */
export function callerPinCheck(call: OperationCall, pin: string): PinCheck {
  return {
    accountId: principalOf(call).accountId,
    pin,
    deviceId: deviceOf(call).deviceId,
    clientAddress: call.clientAddress,
    operation: call.operation.name,
  };
}
