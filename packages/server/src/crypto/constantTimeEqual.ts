import { timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets (or digests of secrets) in time that depends only on their length.
 * The one helper every comparison of a secret goes through; never `===` on a secret.
 *
 * @example
 * constantTimeEqual(storedDigest, computedDigest)
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === "string" ? Buffer.from(a, "utf8") : Buffer.from(a);
  const right = typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
