/**
 * Device signatures (docs/decisions/0003-device-signatures.md). An enrolled device signs each of
 * its StrongAuthentication requests with its ECDSA P-256 key over this string; the server rebuilds
 * it from what it received. A transaction is signed over a second string:
 * `transaction/transactionSigningString.ts` (decision 0025).
 */
export const SIGNATURE_VERSION = "PIMS-SIG-V1";

export interface SignedParts {
  readonly method: string;
  /** Path of the route, e.g. `/v1/otp/with-pin` (no query). */
  readonly path: string;
  /** Epoch milliseconds, as sent in `Pims-Timestamp`. */
  readonly timestamp: string;
  /** As sent in `Pims-Nonce`. */
  readonly nonce: string;
  /** base64url of SHA-256 of the exact body bytes. */
  readonly bodyDigest: string;
  readonly deviceId: string;
}

/**
 * The bytes a device signs, as text (UTF-8).
 *
 * @example
 * signingString({ method: "POST", path: "/v1/otp/with-pin", timestamp: "1700000000000", nonce, bodyDigest, deviceId })
 */
export function signingString(parts: SignedParts): string {
  return [
    SIGNATURE_VERSION,
    parts.method.toUpperCase(),
    parts.path,
    parts.timestamp,
    parts.nonce,
    parts.bodyDigest,
    parts.deviceId,
  ].join("\n");
}

/** Shapes the server accepts before doing any cryptography. */
export const SIGNATURE_SHAPES = {
  deviceId: /^dev_[A-Za-z0-9_-]{22}$/,
  nonce: /^[A-Za-z0-9_-]{22}$/,
  timestamp: /^[0-9]{13}$/,
  /** 64-byte IEEE P1363 ECDSA signature. */
  signature: /^[A-Za-z0-9_-]{86}$/,
  /** 65-byte uncompressed P-256 point. */
  publicKey: /^[A-Za-z0-9_-]{87}$/,
} as const;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Map([...ALPHABET].map((c, i) => [c, i]));

/** base64url without padding, from bytes (no Buffer, no btoa: runs on every target). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET[(n >> 18) & 63] as string;
    out += ALPHABET[(n >> 12) & 63] as string;
    if (i + 1 < bytes.length) out += ALPHABET[(n >> 6) & 63] as string;
    if (i + 2 < bytes.length) out += ALPHABET[n & 63] as string;
  }
  return out;
}

/** Bytes from base64url without padding; `undefined` for text that is not base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    const digit = LOOKUP.get(char);
    if (digit === undefined) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
