import { type DevicePublicJwk, fromBase64Url, toBase64Url } from "@pims/protocol";

/**
 * A device's public key (raw uncompressed P-256 point, base64url, as enrolled) as a JWK, or
 * `undefined` when it is not one.
 *
 * @example
 * devicePublicJwk(record.public_key) // { kty: "EC", crv: "P-256", x: "…", y: "…" }
 */
export function devicePublicJwk(publicKey: string): DevicePublicJwk | undefined {
  const raw = fromBase64Url(publicKey);
  if (raw?.length !== 65 || raw[0] !== 4) return undefined;
  return { kty: "EC", crv: "P-256", x: toBase64Url(raw.subarray(1, 33)), y: toBase64Url(raw.subarray(33, 65)) };
}
