import type { Caller } from "../core/OperationCall.js";
import type { AuditDetailOf, AuditEventName, AuditEventOf } from "./events.js";

/** The events an operation call can succeed with. */
type Succeeding = { [E in AuditEventName]: "success" extends AuditEventOf<E>["outcome"] ? E : never }[AuditEventName];

/** A successful audit event of an operation call: its account, its device (if signed), its client address. */
export function callerEvent<E extends Succeeding>(call: Caller, event: E, detail?: AuditDetailOf<E>): AuditEventOf<E> {
  return {
    event,
    outcome: "success",
    accountId: call.principal.accountId,
    deviceId: call.device?.deviceId ?? null,
    clientAddress: call.clientAddress,
    ...(detail ? { detail } : {}),
  };
}
