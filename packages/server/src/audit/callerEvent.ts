import type { Caller } from "../core/OperationCall.js";
import type { AuditDetail, AuditEvent } from "./AuditLog.js";

/** A successful audit event of an operation call: its account, its device (if signed), its client address. */
export function callerEvent(call: Caller, event: string, detail?: AuditDetail): AuditEvent {
  return {
    event,
    outcome: "success",
    accountId: call.principal.accountId,
    deviceId: call.device?.deviceId ?? null,
    clientAddress: call.clientAddress,
    ...(detail ? { detail } : {}),
  };
}
