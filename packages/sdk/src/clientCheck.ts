import { errorBody, INTERNAL_PATHS, type PimsErrorBody } from "@pims/protocol";
import { callServer, type TransportConfig } from "./transport/callServer.js";

/** The length and characters of a client id the SDK accepts (the server may be stricter). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Asks the server (`GET /v1/client`, with the client id of `transport`) whether it knows the app,
 * and, when the app was built for one brand, whether the client id is that brand's: `brand` must
 * name the tenant by its id or its name, in any case and with or without accents (decision 0028).
 * Answers the server's code (2006: unknown or disabled client id), the transport's (2201, 2202,
 * 2203, 2204), 2203 for an answer without its tenant, or 2006 for another brand's client id.
 */
export async function checkClient(
  transport: TransportConfig,
  brand: string | undefined,
  transactionId: string,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: PimsErrorBody }> {
  const outcome = await callServer(transport, {
    path: INTERNAL_PATHS.client,
    method: "GET",
    body: "",
    headers: {},
    transactionId,
  });
  if (!outcome.ok) return { ok: false, error: outcome.error };
  const tenant = tenantOf(outcome.result);
  if (!tenant) return { ok: false, error: errorBody(2203) };
  if (brand !== undefined && ![tenant.id, tenant.name].some((name) => brandKey(name) === brandKey(brand))) {
    return { ok: false, error: errorBody(2006) };
  }
  return { ok: true };
}

/**
 * A brand as compared: lower case, accents removed.
 *
 * @example brandKey("Citroën") // "citroen"
 */
export function brandKey(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function tenantOf(result: unknown): { id: string; name: string } | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const tenant = (result as { tenant?: unknown }).tenant;
  if (typeof tenant !== "object" || tenant === null) return undefined;
  const { id, name } = tenant as { id?: unknown; name?: unknown };
  return typeof id === "string" && typeof name === "string" ? { id, name } : undefined;
}
