import { ACR, readStepUpChallenge } from "@pims/protocol";

/** What a protected API asks for when it answers "Need Strong Authentication". */
export interface StrongAuthenticationRequest {
  /** The levels the API accepts (RFC 9470 `acr_values`); empty when it did not say. */
  readonly acrValues: readonly string[];
  /** True when the PIN is needed (S15): the API asks for `pims:possession+knowledge`, or does not say. */
  readonly withPin: boolean;
  /** How recent the proof must be, in seconds (`max_age`), when the API says. */
  readonly maxAge?: number;
}

/**
 * What a protected API's answer asks for, when it is a step-up demand in either form: the RFC 9470
 * challenge (`401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
 * acr_values=…, max_age=…`), or the vendor's 2302 body. `undefined` for any other answer. Reads a
 * clone: the body stays readable.
 *
 * @example
 * const asked = await strongAuthenticationRequest(response);
 * if (asked) await pims.get("pims.authentication.otp", asked.withPin ? { action: "withPIN", pinCode } : { action: "withoutPIN" });
 */
export async function strongAuthenticationRequest(
  response: Response,
): Promise<StrongAuthenticationRequest | undefined> {
  if (response.status !== 401) return undefined;
  const challenge = readStepUpChallenge(response.headers.get("www-authenticate"));
  if (!challenge && !(await hasCode2302(response))) return undefined;
  const acrValues = challenge?.acrValues ?? [];
  // Without a level named, or with the stronger one accepted first, the PIN is asked for.
  const withPin = acrValues.length === 0 || acrValues[0] !== ACR.possession;
  return { acrValues, withPin, ...(challenge?.maxAge === undefined ? {} : { maxAge: challenge.maxAge }) };
}

/**
 * True when a protected API asked for strong authentication (the 2302 body, or the RFC 9470
 * challenge): ask the user for the PIN, get an OTP (S15), and repeat the call with `pims.fetch`.
 * {@link strongAuthenticationRequest} says which level and how recent.
 *
 * @example
 * let response = await pims.fetch("/api/transfer", request);
 * if (await needsStrongAuthentication(response)) { … S15 … ; response = await pims.fetch("/api/transfer", request); }
 */
export async function needsStrongAuthentication(response: Response): Promise<boolean> {
  return (await strongAuthenticationRequest(response)) !== undefined;
}

async function hasCode2302(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return body.error?.code === 2302;
  } catch {
    return false;
  }
}
