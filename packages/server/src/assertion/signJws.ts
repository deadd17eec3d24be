import { type KeyObject, sign } from "node:crypto";

/**
 * A compact JWS (RFC 7515) signed with ES256: base64url of the header and of the claims, joined by
 * a dot, and the P-256 signature of that signing input as r‖s (64 bytes, RFC 7518 §3.4), base64url.
 *
 * @example
 * signJws({ alg: "ES256", kid, typ: "pims-stepup+jwt" }, { sub: "acc_…" }, privateKey) // "eyJ….eyJ….…"
 */
export function signJws(header: object, claims: object, privateKey: KeyObject): string {
  const input = `${part(header)}.${part(claims)}`;
  const signature = sign("sha256", Buffer.from(input, "utf8"), { key: privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

function part(value: object): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}
