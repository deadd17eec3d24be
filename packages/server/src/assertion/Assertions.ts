import { randomBytes } from "node:crypto";
import { ASSERTION_ALGORITHM, ASSERTION_TYPE, type AssertionClaims, type VerifyResult } from "@pims/protocol";
import type { Clock } from "../Clock.js";
import type { AssertionKeys } from "./AssertionKeys.js";
import { signJws } from "./signJws.js";

/** A valid verification; `transaction.digest` is the transaction it was bound to, when it was. */
type Verified = Extract<VerifyResult, { valid: true }> & { readonly transaction?: { readonly digest?: string } };

/**
 * Issues step-up assertions: a compact JWS (ES256, `typ` pims-stepup+jwt) for one relying party,
 * saying who proved which factors when, and for which transaction (docs/relying-parties.md).
 *
 * @example
 * const sign = await assertions.signerFor(relyingParty.id);
 * const jws = sign(verified);
 */
export class Assertions {
  constructor(
    private readonly keys: AssertionKeys,
    private readonly clock: Clock,
    /** The `iss` claim: the deployment's public URL. */
    private readonly issuer: () => string,
    private readonly ttlSeconds: number,
    /** The `tenant` claim: the tenant's id, undefined for the default tenant (decision 0028). */
    private readonly tenant?: string,
  ) {}

  /**
   * A signer of assertions for `audience` with the current key. Asked before the OTP is consumed,
   * so that a key that cannot be read fails the verification without spending the OTP.
   */
  async signerFor(audience: string): Promise<(verified: Verified) => string> {
    const { kid, privateKey } = await this.keys.signingKey();
    return (verified) => {
      const now = Math.floor(this.clock.now() / 1000);
      const digest = verified.transaction?.digest;
      const claims: AssertionClaims = {
        iss: this.issuer(),
        sub: verified.account.id,
        aud: audience,
        iat: now,
        exp: now + this.ttlSeconds,
        jti: randomBytes(16).toString("base64url"),
        acr: verified.acr,
        amr: verified.amr,
        auth_time: Math.floor(verified.authTime / 1000),
        ...(digest !== undefined ? { txn: digest } : {}),
        ...(this.tenant !== undefined ? { tenant: this.tenant } : {}),
      };
      return signJws({ alg: ASSERTION_ALGORITHM, kid, typ: ASSERTION_TYPE }, claims, privateKey);
    };
  }
}
