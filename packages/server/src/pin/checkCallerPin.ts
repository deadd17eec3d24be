import { deviceOf, type OperationCall, principalOf } from "../http/OperationHandler.js";
import type { PinGuard } from "./PinGuard.js";

/** Checks `pin` as the PIN of the caller's account, from the caller's device, under the lockout. */
export function checkCallerPin(pinGuard: PinGuard, call: OperationCall, pin: string): Promise<void> {
  return pinGuard.check({
    accountId: principalOf(call).accountId,
    pin,
    deviceId: deviceOf(call).deviceId,
    clientAddress: call.clientAddress,
    operation: call.operation.name,
  });
}
