import {
  canonicalTransaction,
  fromBase64Url,
  readTransactionSigningString,
  type TransactionEvidence,
  toBase64Url,
} from "@pims/protocol";

/** What the evidence must also match, when the caller knows it. */
export interface EvidenceExpectation {
  /** The transaction the relying party authorized (compared in its canonical form). */
  readonly transaction?: object;
  /** The Pims account id (`result.account.id`). */
  readonly account?: string;
  /** The device id (`result.device`). */
  readonly device?: string;
}

/** A transaction as the evidence carries it. */
export type ApprovedTransaction = { readonly type: string; readonly [member: string]: unknown };

/** The outcome of checking transaction evidence; on success, who approved what and when. */
export type EvidenceCheck =
  | {
      readonly valid: true;
      readonly account: string;
      readonly device: string;
      /** Epoch milliseconds, the signed request's timestamp. */
      readonly signedAt: number;
      /** The transaction, from its canonical text. */
      readonly transaction: ApprovedTransaction;
    }
  | { readonly valid: false; readonly reason: string };

const encode = (text: string) => new TextEncoder().encode(text);

/**
 * Checks the evidence of a transaction OTP (decision 0025) with WebCrypto alone, so that it can be
 * checked again later, without Pims: the canonical text is canonical and hashes to the digest the
 * signed string names; the key's thumbprint is the device the signed string names; the key's
 * ECDSA P-256 signature covers the signed string; and, when given, account, device and
 * transaction are the expected ones.
 *
 * @example
 * const check = await verifyTransactionEvidence(result.transaction, { transaction: { type: "vehicle.unlock", vin } });
 * if (check.valid) archive(check.device, check.transaction, check.signedAt);
 */
export async function verifyTransactionEvidence(
  evidence: TransactionEvidence,
  expected: EvidenceExpectation = {},
): Promise<EvidenceCheck> {
  const refuse = (reason: string): EvidenceCheck => ({ valid: false, reason });
  const parts = readTransactionSigningString(String(evidence?.signedString));
  if (!parts) return refuse("not a transaction signing string");
  const { subtle } = globalThis.crypto;
  const sha256 = async (bytes: Uint8Array<ArrayBuffer>) =>
    toBase64Url(new Uint8Array(await subtle.digest("SHA-256", bytes)));
  let transaction: ApprovedTransaction;
  try {
    transaction = JSON.parse(evidence.canonical);
  } catch {
    return refuse("the transaction is not JSON");
  }
  if (canonicalTransaction(transaction) !== evidence.canonical) return refuse("the transaction is not canonical");
  const digest = await sha256(encode(evidence.canonical));
  if (digest !== evidence.digest || digest !== parts.transactionDigest) return refuse("the digest does not match");
  const x = fromBase64Url(String(evidence.publicKey?.x));
  const y = fromBase64Url(String(evidence.publicKey?.y));
  if (x?.length !== 32 || y?.length !== 32) return refuse("not a P-256 public key");
  if (`dev_${(await sha256(new Uint8Array([4, ...x, ...y]))).slice(0, 22)}` !== parts.deviceId) {
    return refuse("the key is not the device's");
  }
  const signature = new Uint8Array(fromBase64Url(String(evidence.signature)) ?? []);
  let signed = false;
  try {
    const jwk = { kty: "EC", crv: "P-256", x: evidence.publicKey.x, y: evidence.publicKey.y };
    const key = await subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    signed =
      signature.length === 64 &&
      (await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, encode(evidence.signedString)));
  } catch {
    return refuse("not a P-256 public key");
  }
  if (!signed) return refuse("the signature does not verify");
  if (expected.account !== undefined && expected.account !== parts.accountId) return refuse("another account");
  if (expected.device !== undefined && expected.device !== parts.deviceId) return refuse("another device");
  if (expected.transaction !== undefined && canonicalTransaction(expected.transaction) !== evidence.canonical) {
    return refuse("another transaction");
  }
  return {
    valid: true,
    account: parts.accountId,
    device: parts.deviceId,
    signedAt: Number(parts.timestamp),
    transaction,
  };
}
