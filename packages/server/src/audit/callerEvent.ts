import { type OperationCall, principalOf } from "../http/OperationHandler.js";
import type { AuditDetail, AuditEvent } from "./AuditLog.js";

/** A successful audit event of an operation call: its account, its device (if signed), its client address. */
export function callerEvent(call: OperationCall, event: string, detail?: AuditDetail): AuditEvent {
  return {
    event,
    outcome: "success",
    accountId: principalOf(call).accountId,
    deviceId: call.device?.deviceId ?? null,
    clientAddress: call.clientAddress,
    ...(detail ? { detail } : {}),
  };
}
