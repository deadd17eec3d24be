import { SIGNATURE_SHAPES, transactionSigningString } from "@pims/protocol";
import type { DeviceProof } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { sha256Base64Url } from "../crypto/random.js";
import { verifySignature } from "./verifyDeviceProof.js";

/** A transaction the device signed, as an OTP keeps it (decision 0025). */
export interface SignedTransaction {
  readonly digest: string;
  readonly canonical: string;
  readonly signature: string;
  readonly signedString: string;
}

/**
 * Checks the `Pims-Transaction-Signature` of a request whose device signature checked out: the
 * device's key must have signed the transaction signing string the server rebuilds from this
 * account, this device, this request's timestamp and nonce, and the digest of this canonical
 * transaction. Any mismatch — a signature made for another transaction, device, account or
 * request, none at all, or one with no transaction — is 2311. No transaction, no signature:
 * `undefined`.
 */
export function verifyTransactionSignature(
  accountId: string,
  device: DeviceProof,
  canonical: string | undefined,
): SignedTransaction | undefined {
  const signature = device.transactionSignature;
  if (canonical === undefined && signature === undefined) return undefined;
  if (canonical === undefined || signature === undefined || !SIGNATURE_SHAPES.signature.test(signature)) {
    throw new PimsError(2311);
  }
  const digest = sha256Base64Url(canonical);
  const signedString = transactionSigningString({
    accountId,
    deviceId: device.deviceId,
    timestamp: device.timestamp,
    nonce: device.nonce,
    transactionDigest: digest,
  });
  if (!verifySignature(device.publicKey, signedString, signature)) throw new PimsError(2311);
  return { digest, canonical, signature, signedString };
}
