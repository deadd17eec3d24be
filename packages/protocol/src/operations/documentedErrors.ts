import type { PimsErrorCode } from "../errors/ErrorCode.js";
import { ALWAYS, MALFORMED, NEEDS_SESSION, TRANSPORT } from "./errorSets.js";
import type { OperationDeclaration } from "./types.js";

/**
 * Every code an operation may answer: the vendor's list, Pims' additions, 2000/2001/2102 for all,
 * 2301 when a session is needed, and the transport codes when the server is reached.
 *
 * @example
 * documentedErrors(otpWithPin).includes(2308) // true
 */
export function documentedErrors(operation: OperationDeclaration): readonly PimsErrorCode[] {
  const codes = new Set<PimsErrorCode>([
    ...ALWAYS,
    ...MALFORMED,
    ...operation.errors,
    ...(Object.keys(operation.extraErrors).map(Number) as PimsErrorCode[]),
  ]);
  if (operation.access === "session") for (const code of NEEDS_SESSION) codes.add(code);
  if (operation.path !== null || operation.access === "session") for (const code of TRANSPORT) codes.add(code);
  return [...codes].sort((a, b) => a - b);
}
