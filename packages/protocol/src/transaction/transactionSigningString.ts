import { SIGNATURE_SHAPES } from "../signing.js";

/**
 * Transaction signatures (decision 0025). With a transaction, S15 and S16 carry
 * `Pims-Transaction-Signature`: the device's ECDSA P-256 signature (IEEE P1363, base64url), by its
 * enrolled key, over this string. It names the account, the device and the request (timestamp and
 * nonce of its `Pims-Signature`), so that a signature replayed on another transaction, device,
 * account or request does not verify; the relying party gets it back as evidence.
 */
export const TRANSACTION_SIGNATURE_VERSION = "PIMS-TX-V1";

export interface TransactionSignedParts {
  readonly accountId: string;
  readonly deviceId: string;
  /** Epoch milliseconds, the request's `Pims-Timestamp`. */
  readonly timestamp: string;
  /** The request's `Pims-Nonce`. */
  readonly nonce: string;
  /** base64url of SHA-256 of the transaction's canonical text (RFC 8785), UTF-8. */
  readonly transactionDigest: string;
}

const DIGEST = /^[A-Za-z0-9_-]{43}$/;
const ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The bytes a device signs for a transaction, as text (UTF-8): six lines joined by `\n`.
 *
 * @example
 * transactionSigningString({ accountId, deviceId, timestamp: "1700000000000", nonce, transactionDigest })
 * // "PIMS-TX-V1\nacc_…\ndev_…\n1700000000000\n<nonce>\n<digest>"
 */
export function transactionSigningString(parts: TransactionSignedParts): string {
  return [
    TRANSACTION_SIGNATURE_VERSION,
    parts.accountId,
    parts.deviceId,
    parts.timestamp,
    parts.nonce,
    parts.transactionDigest,
  ].join("\n");
}

/**
 * The parts of a transaction signing string, or `undefined` when the text is not one (another
 * version, a missing line, a part of the wrong shape).
 *
 * @example
 * readTransactionSigningString(evidence.signedString)?.deviceId // "dev_…"
 */
export function readTransactionSigningString(text: string): TransactionSignedParts | undefined {
  const lines = text.split("\n");
  if (lines.length !== 6 || lines[0] !== TRANSACTION_SIGNATURE_VERSION) return undefined;
  const [, accountId = "", deviceId = "", timestamp = "", nonce = "", transactionDigest = ""] = lines;
  const fits =
    ACCOUNT.test(accountId) &&
    SIGNATURE_SHAPES.deviceId.test(deviceId) &&
    SIGNATURE_SHAPES.timestamp.test(timestamp) &&
    SIGNATURE_SHAPES.nonce.test(nonce) &&
    DIGEST.test(transactionDigest);
  return fits ? { accountId, deviceId, timestamp, nonce, transactionDigest } : undefined;
}
