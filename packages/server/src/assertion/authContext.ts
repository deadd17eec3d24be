import type { AssuranceLevel, Factor } from "@pims/protocol";

/**
 * The assurance level and RFC 8176 method references a verification proves, from its factors:
 * the device key is `pop` (proof of possession of a key), the PIN `pin`, both together `mfa`.
 * (The lead's `acr`/`amr` on VerifyResult replace this when they land.)
 *
 * @example
 * authContext(["possession", "knowledge"]) // { acr: "pims:possession+knowledge", amr: ["pop", "pin", "mfa"] }
 */
export function authContext(factors: readonly Factor[]): { acr: AssuranceLevel; amr: string[] } {
  return factors.includes("knowledge")
    ? { acr: "pims:possession+knowledge", amr: ["pop", "pin", "mfa"] }
    : { acr: "pims:possession", amr: ["pop"] };
}
