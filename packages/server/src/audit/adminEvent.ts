import type { AuditDetailOf, AuditEventName, AuditEventOf } from "./events.js";

/** The events an administrator's action succeeds with, recorded `by: "admin"`. */
type ByAdmin = {
  [E in AuditEventName]: "admin" extends AuditDetailOf<E>["by" & keyof AuditDetailOf<E>] ? E : never;
}[AuditEventName];

/**
 * A successful audit event of an admin API call from `clientAddress`, with `by: "admin"` first in
 * its detail.
 *
 * @example
 * await audit.append({ ...adminEvent(request.ip, "account.unblock"), accountId });
 */
export function adminEvent<E extends ByAdmin>(
  clientAddress: string,
  event: E,
  detail?: AuditDetailOf<E, "by">,
): AuditEventOf<E> {
  // Sound: E declares `by` with the value "admin", and `detail` has only E's other fields; the
  // compiler cannot see it through the generic E.
  const withBy = { by: "admin", ...detail } as AuditDetailOf<E>;
  return { event, outcome: "success", clientAddress, detail: withBy };
}
