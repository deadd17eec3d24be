import { errorBody, INTERNAL_PATHS } from "@pims/protocol";
import { type CallOutcome, callServer, type TransportConfig } from "./transport/callServer.js";

/** The length and characters of a client id the SDK accepts (the server may be stricter). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Asks the server (`GET /v1/client`, with the client id of `transport`) whether it knows the app,
 * and, when the app was built for one brand, whether the client id is that brand's: `brand` must
 * name the tenant by its id or its name, in any case and with or without accents (decision 0028).
 * Answers nothing when it is, else the failure: the server's code (2006: unknown or disabled
 * client id), the transport's (2201, 2202, 2203, 2204), 2203 for an answer without its tenant,
 * 2006 for another brand's client id.
 */
export async function checkClient(
  transport: TransportConfig,
  brand: string | undefined,
  transactionId: string,
): Promise<CallOutcome | undefined> {
  const outcome = await callServer(transport, { path: INTERNAL_PATHS.client, headers: {}, transactionId });
  if (!outcome.ok) return outcome;
  const tenant = (outcome.result as { tenant?: { id?: unknown; name?: unknown } } | null)?.tenant;
  if (typeof tenant?.id !== "string" || typeof tenant.name !== "string") return { ok: false, error: errorBody(2203) };
  if (brand !== undefined && brandKey(tenant.id) !== brandKey(brand) && brandKey(tenant.name) !== brandKey(brand)) {
    return { ok: false, error: errorBody(2006) };
  }
  return undefined;
}

/**
 * A brand as compared: lower case, accents removed.
 *
 * @example brandKey("Citroën") // "citroen"
 */
export function brandKey(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}
