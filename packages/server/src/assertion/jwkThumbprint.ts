import { createHash } from "node:crypto";

/**
 * RFC 7638 thumbprint of a P-256 public key: SHA-256 of its required members in lexicographic
 * order, no whitespace, base64url. The `kid` of an assertion key.
 *
 * @example
 * jwkThumbprint(publicJwk) // 43 base64url characters, the same for the same key
 */
export function jwkThumbprint(jwk: { readonly x: string; readonly y: string }): string {
  const members = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  return createHash("sha256").update(members, "utf8").digest("base64url");
}
