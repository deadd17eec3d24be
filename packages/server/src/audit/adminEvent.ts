import type { AuditDetailOf, AuditEventName } from "./events.js";

/** The events an administrator's action succeeds with, recorded `by: "admin"`. */
type ByAdmin = {
  [E in AuditEventName]: "admin" extends AuditDetailOf<E>["by" & keyof AuditDetailOf<E>] ? E : never;
}[AuditEventName];

/** One of them, with its detail but the `by`. */
type AdminAction = { [E in ByAdmin]: { readonly event: E; readonly detail?: AuditDetailOf<E, "by"> } }[ByAdmin];

/**
 * A successful audit event of an admin API call from `clientAddress`, with `by: "admin"` first in
 * its detail.
 *
 * @example
 * await audit.append({ ...adminEvent(request.ip, { event: "account.unblock" }), accountId });
 */
export function adminEvent(clientAddress: string, action: AdminAction) {
  return { ...action, outcome: "success" as const, clientAddress, detail: { by: "admin" as const, ...action.detail } };
}
