import type { TransactionEvidence } from "../relyingParty.js";
import type { EcJwk } from "../SigningVector.js";
import type { TransactionSignedParts } from "./transactionSigningString.js";

/**
 * The shape of `@pims/protocol/vectors/transaction-signing.json`: the device key of
 * `vectors/signing.json` signing one transaction (PIMS-TX-V1, decision 0025), and the evidence a
 * relying party receives for it. Written once by `scripts/generate-transaction-vector.mjs`.
 *
 * @example
 * const vector: TransactionSigningVector = JSON.parse(readFileSync(require.resolve("@pims/protocol/vectors/transaction-signing.json"), "utf8"));
 * canonicalTransaction(vector.transaction) === vector.canonical; // true
 */
export interface TransactionSigningVector {
  readonly key: { readonly publicKeyJwk: EcJwk; readonly publicKey: string; readonly deviceId: string };
  /** As an app may write it (members in any order). */
  readonly transaction: { readonly type: string; readonly [member: string]: string };
  /** Its RFC 8785 canonical form. */
  readonly canonical: string;
  readonly signingInputs: TransactionSignedParts;
  readonly signingString: string;
  /** One valid signature (ECDSA is randomized): IEEE P1363, 64 bytes, base64url. */
  readonly signature: string;
  readonly evidence: TransactionEvidence;
}
