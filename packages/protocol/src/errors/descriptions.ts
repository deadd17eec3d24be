import type { ERROR_CATALOGUE } from "./catalogue.js";

/**
 * A plain description of each catalogue code, for people: what happened and what to do. It is
 * shown beside the vendor's label (CLI, demo page, docs), never instead of it: the label on the
 * wire stays byte for byte the vendor's (docs/decisions/0022-error-descriptions.md).
 *
 * Typed over the catalogue's codes: a code without a description does not compile.
 */
export const ERROR_DESCRIPTIONS: Readonly<Record<keyof typeof ERROR_CATALOGUE, string>> = {
  2000: "something unexpected went wrong — try again; if it keeps happening, the server log says why",
  2001: "the SDK is not initialized yet — call initialize first",
  2002: "no such API or action — check the name and the selector of the call",
  2005: "a code was sent to this number moments ago — wait before asking for another one",
  2006: "the SDK or the server is not configured correctly (server URL, storage, an unknown or disabled client id, a brand that is not the client id's, or a feature turned off) — check the configuration",
  2007: "the SDK is already initialized — initialize it once, or release it first",
  2101: "a required parameter is missing — the label names it",
  2102: "a parameter has the wrong format — the label names it; the operation's page gives the format",
  2201: "the server did not answer in time — check the connection and try again",
  2202: "the server could not be reached — check the connection and the server address (and, for a web app, that its origin is in PIMS_CORS_ORIGINS)",
  2203: "the answer could not be read as a Pims message — is the server address right, or is a proxy in the way?",
  2204: "the server failed to handle the request — try again later",
  2301: "not logged in, or the session has ended — log in first",
  2302: "this action needs strong authentication — confirm with the PIN (an OTP from S15) and repeat it",
  2303: "logging out could not reach the server — this device has forgotten the session anyway; it expires on the server by itself",
  2305: "the SMS code is wrong, expired or already used — check it, or ask for a new one",
  2306: "the SMS code has expired — ask for a new one",
  2307: "the account has no trusted phone number yet — add one first",
  2308: "wrong PIN — try again; too many wrong PINs in a row block the account",
  2309: "this SDK speaks a protocol version the server does not — update the SDK or the server",
  2310: "the account is blocked after too many wrong PINs — reset the PIN with a code by SMS to unblock it",
  2311: "the request is not in the expected state: a step is out of order, or the device's signature did not check — start the step again",
  2312: "this device has been disabled or removed, or is unknown to the server — enroll it again",
  2313: "this device is not enrolled yet — enroll it first",
  2314: "the authentication service is not available — try again later",
  2315: "the new PIN is the same as the current one — choose a different PIN",
  2316: "the server completed the operation but this device could not record it — check the device's state (S1) before repeating",
  2317: "not allowed in the current state: already enrolled, blocked, or no PIN set yet — check the account first (S1, S2)",
  2344: "a component is not configured on this server — the label names it; ask whoever runs the server",
  2383: "too many attempts — wait a while before trying again",
  2390: "this phone number is already registered — use another number",
  2401: "the login or the password is wrong — check both",
  2402: "this login is already taken — choose another one, or log in",
};

/**
 * The plain description of `code`, for a person; the one of 2000 for a code outside the catalogue.
 *
 * @example
 * describeError(2313) // "this device is not enrolled yet — enroll it first"
 */
export function describeError(code: number): string {
  return Object.hasOwn(ERROR_DESCRIPTIONS, code)
    ? ERROR_DESCRIPTIONS[code as keyof typeof ERROR_DESCRIPTIONS]
    : ERROR_DESCRIPTIONS[2000];
}
