import {
  ASSERTION_ALGORITHM,
  ASSERTION_TYPE,
  type AssertionClaims,
  canonicalTransaction,
  fromBase64Url,
  toBase64Url,
} from "@pims/protocol";
import { pimsBaseUrl } from "./createVerifier.js";
import { type JwksOptions, jwksKey } from "./JwksCache.js";

/** Why an assertion was refused. */
export type AssertionFailure =
  | "malformed"
  | "algorithm"
  | "type"
  | "unknown key"
  | "signature"
  | "issuer"
  | "audience"
  | "expired"
  | "not yet valid"
  | "transaction";

/** The assertion is not one Pims made for this audience, now. Answer 401; never trust its claims. */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
  constructor(
    /** Which check refused it. */
    readonly reason: AssertionFailure,
    message: string,
  ) {
    super(`@pims/relying-party: assertion refused (${reason}): ${message}`);
  }
}

export interface AssertionOptions extends JwksOptions {
  /** Base URL of the Pims server: the JWK Set is fetched from it, and it must be the `iss`. */
  readonly pimsUrl: string;
  /** This relying party's id (`rp_…`): the `aud` the assertion must carry. */
  readonly audience: string;
  /**
   * The `iss` the assertion must carry, when this service reaches Pims at another URL than the
   * public one (`PIMS_PUBLIC_URL`). Default: `pimsUrl`.
   */
  readonly issuer?: string;
  /**
   * The transaction this service performs, e.g. `{ type: "vehicle.unlock", vin }` (decision 0025):
   * the assertion's `txn` must be the digest of its canonical form, so that an approval of another
   * transaction — or of none — is refused. A value that is not a transaction is a TypeError.
   */
  readonly transaction?: object;
  /** Clock difference tolerated on `exp` and `iat`. Default 30 s. */
  readonly skewSeconds?: number;
}

/**
 * Checks a step-up assertion offline (WebCrypto, no dependency) and answers its claims: ES256 and
 * `typ` pims-stepup+jwt in the header, the signature by a key of Pims' JWK Set (cached for its
 * max-age; an unknown `kid` refetches it once), `iss` the Pims URL, `aud` this relying party, not
 * expired, not issued in the future, and with `transaction`, `txn` its digest. Throws {@link AssertionError}, or `PimsUnavailableError` when
 * the JWK Set cannot be fetched.
 *
 * @example
 * const claims = await verifyAssertion(jws, { pimsUrl: "https://pims.example.com", audience: "rp_…" });
 * if (claims.acr !== "pims:possession+knowledge") reply.code(401);
 */
export async function verifyAssertion(jws: string, options: AssertionOptions): Promise<AssertionClaims> {
  const base = pimsBaseUrl(options.pimsUrl);
  const canonical = options.transaction === undefined ? undefined : canonicalTransaction(options.transaction);
  if (options.transaction !== undefined && canonical === undefined) {
    throw new TypeError("@pims/relying-party: the transaction is not a valid transaction (decision 0025)");
  }
  const parts = typeof jws === "string" ? jws.split(".") : [];
  const [headerPart = "", claimsPart = "", signaturePart = ""] = parts;
  const header = parts.length === 3 ? json(headerPart) : undefined;
  const claims = json(claimsPart) as Partial<AssertionClaims> | undefined;
  const signature = fromBase64Url(signaturePart);
  if (!header || !claims || !signature) throw new AssertionError("malformed", "not a compact JWS of JSON objects");
  if (header.alg !== ASSERTION_ALGORITHM) throw new AssertionError("algorithm", `alg ${String(header.alg)}, not ES256`);
  if (header.typ !== ASSERTION_TYPE)
    throw new AssertionError("type", `typ ${String(header.typ)}, not ${ASSERTION_TYPE}`);
  if (header.crit !== undefined) throw new AssertionError("malformed", "crit is not understood");
  if (typeof header.kid !== "string") throw new AssertionError("unknown key", "no kid");
  const key = await jwksKey(base, header.kid, options);
  if (!key) throw new AssertionError("unknown key", `kid ${header.kid} is not in Pims' JWK Set`);
  const input = new TextEncoder().encode(`${headerPart}.${claimsPart}`);
  const valid =
    signature.length === 64 &&
    (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature as Uint8Array<ArrayBuffer>, input));
  if (!valid) throw new AssertionError("signature", "the signature does not verify");
  const checked = checkClaims(claims, base, options);
  if (canonical !== undefined) {
    const digest = toBase64Url(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))),
    );
    if (checked.txn !== digest)
      throw new AssertionError("transaction", `txn ${String(checked.txn)}, not this transaction's`);
  }
  return checked;
}

function checkClaims(claims: Partial<AssertionClaims>, base: URL, options: AssertionOptions): AssertionClaims {
  const issuer = (options.issuer ?? base.href).replace(/\/+$/, "");
  if (claims.iss !== issuer) throw new AssertionError("issuer", `iss ${String(claims.iss)}, not ${issuer}`);
  const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(options.audience)) {
    throw new AssertionError("audience", `made for ${String(claims.aud)}, not ${options.audience}`);
  }
  const now = (options.now ?? Date.now)() / 1000;
  const skew = options.skewSeconds ?? 30;
  if (typeof claims.exp !== "number" || claims.exp <= now - skew)
    throw new AssertionError("expired", `exp ${claims.exp}`);
  if (typeof claims.iat !== "number" || claims.iat > now + skew)
    throw new AssertionError("not yet valid", `iat ${claims.iat}`);
  if (typeof claims.sub !== "string" || typeof claims.jti !== "string") {
    throw new AssertionError("malformed", "sub and jti are required");
  }
  return claims as AssertionClaims;
}

function json(part: string): Record<string, unknown> | undefined {
  const bytes = fromBase64Url(part);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
