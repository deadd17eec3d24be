import { HEADERS, signingString, toBase64Url, transactionSigningString } from "@pims/protocol";
import type { SdkCrypto } from "../sdkCrypto.js";
import type { DeviceKey } from "./deviceKey.js";

/**
 * The signature headers of one request: a fresh 128-bit nonce, the time (with the server's
 * offset applied), and an ECDSA P-256 signature over method, path, body digest, timestamp, nonce
 * and device id. `presentKey` adds the public key, for a device the server does not know yet. With a
 * `transaction` (its canonical text, for this account), adds `Pims-Transaction-Signature` over the
 * transaction signing string, which names the same timestamp and nonce (decision 0025).
 */
export async function signRequest(
  device: DeviceKey,
  request: {
    path: string;
    body: string;
    now: number;
    presentKey: boolean;
    transaction?: { readonly accountId: string; readonly canonical: string } | undefined;
  },
  crypto: SdkCrypto,
): Promise<Record<string, string>> {
  const nonceBytes = new Uint8Array(16);
  crypto.getRandomValues(nonceBytes);
  const nonce = toBase64Url(nonceBytes);
  const timestamp = String(Math.round(request.now));
  const digest = (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const sign = async (text: string) =>
    toBase64Url(
      new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, device.privateKey, new TextEncoder().encode(text)),
      ),
    );
  const text = signingString({
    method: "POST",
    path: request.path,
    timestamp,
    nonce,
    bodyDigest: toBase64Url(new Uint8Array(await digest(request.body))),
    deviceId: device.id,
  });
  const { transaction } = request;
  const transactionText = transaction
    ? transactionSigningString({
        accountId: transaction.accountId,
        deviceId: device.id,
        timestamp,
        nonce,
        transactionDigest: toBase64Url(new Uint8Array(await digest(transaction.canonical))),
      })
    : undefined;
  return {
    [HEADERS.deviceId]: device.id,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: await sign(text),
    ...(request.presentKey ? { [HEADERS.deviceKey]: device.publicKey } : {}),
    ...(transactionText ? { [HEADERS.transactionSignature]: await sign(transactionText) } : {}),
  };
}
