import type { SignedParts } from "./signing.js";

/**
 * The shape of `@pims/protocol/vectors/signing.json`: one device key and one request signed with
 * it (PIMS-SIG-V1, docs/decisions/0003-device-signatures.md), for any client that implements the
 * device signature — the SDK, a native mobile app — to test against. Written once by
 * `scripts/generate-signing-vector.mjs`.
 *
 * @example
 * const vector: SigningVector = JSON.parse(readFileSync(require.resolve("@pims/protocol/vectors/signing.json"), "utf8"));
 * signingString(vector.signingInputs) === vector.signingString; // true
 */
/** An EC key as JWK (RFC 7517), as WebCrypto exports it; `d` only on the private key. */
export interface EcJwk {
  readonly kty: "EC";
  readonly crv: "P-256";
  readonly x: string;
  readonly y: string;
  readonly d?: string;
}

export interface SigningVector {
  readonly key: {
    /** The device's ECDSA P-256 private key. */
    readonly privateKeyJwk: EcJwk;
    readonly publicKeyJwk: EcJwk;
    /** Raw uncompressed point (65 bytes), base64url: what `Pims-Device-Key` carries. */
    readonly publicKey: string;
    /** `dev_` + the first 22 characters of base64url(SHA-256(raw public key)). */
    readonly deviceId: string;
  };
  /** The request as sent: body text byte for byte, and the signature headers. */
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly body: string;
    readonly headers: Readonly<Record<string, string>>;
  };
  readonly signingInputs: SignedParts;
  readonly signingString: string;
  /** One valid signature (ECDSA is randomized): IEEE P1363, 64 bytes, base64url. */
  readonly signature: string;
}
