import type { PimsErrorBody, WireResponse } from "@pims/protocol";

/** The body of a FAILED answer. */
export function failureReply(error: PimsErrorBody): WireResponse<never> {
  return { status: "FAILED", error };
}
