import type { Acr, AuthenticationMethod } from "./stepUp.js";

/**
 * Signed step-up assertions: on a valid verification a relying party may ask for a compact JWS
 * (ES256) that its downstream services check offline against Pims' published keys
 * (docs/relying-parties.md, docs/decisions/0026-signed-step-up-assertions.md).
 */

/** Where Pims publishes the public keys of its assertions (RFC 7517 JWK Set). */
export const JWKS_PATH = "/.well-known/jwks.json";

/** The `typ` header of an assertion (RFC 8725 §3.11: explicit typing). */
export const ASSERTION_TYPE = "pims-stepup+jwt";

/** The only signature algorithm of an assertion. */
export const ASSERTION_ALGORITHM = "ES256";

/**
 * The claims of an assertion. Times are JWT NumericDates (epoch seconds).
 *
 * @example
 * { iss: "https://pims.example.com", sub: "acc_…", aud: "rp_…", iat: 1767225600, exp: 1767225720,
 *   jti: "…", acr: "pims:possession+knowledge", amr: ["swk", "pin", "mfa"], auth_time: 1767225590 }
 */
export interface AssertionClaims {
  /** The deployment's public URL (`PIMS_PUBLIC_URL`). */
  readonly iss: string;
  /** The Pims account id. */
  readonly sub: string;
  /** The relying party the verification was made for (its id, `rp_…`). */
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  /** Unique per assertion: a downstream service may refuse one it has already seen. */
  readonly jti: string;
  readonly acr: Acr;
  /** RFC 8176 authentication method references, as the verification's `amr`. */
  readonly amr: readonly AuthenticationMethod[];
  /** When the user proved the factors (the OTP's issuance). */
  readonly auth_time: number;
  /** The transaction digest the OTP was bound to, when it was bound to one. */
  readonly txn?: string;
  /**
   * The tenant (brand) of the account, on a deployment that serves several (decision 0028); absent
   * for the default tenant. `aud` already differs between brands (relying-party ids are unique);
   * this lets a downstream service check the brand too.
   */
  readonly tenant?: string;
}

/** One published key of the JWK Set. */
export interface AssertionJwk {
  readonly kid: string;
  readonly kty: "EC";
  readonly crv: "P-256";
  readonly x: string;
  readonly y: string;
  readonly alg: "ES256";
  readonly use: "sig";
}
