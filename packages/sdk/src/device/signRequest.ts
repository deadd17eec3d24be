import { HEADERS, signingString, toBase64Url } from "@pims/protocol";
import type { SdkCrypto } from "../sdkCrypto.js";
import type { DeviceKey } from "./deviceKey.js";

/**
 * The signature headers of one request: a fresh 128-bit nonce, the time (with the server's
 * offset applied), and an ECDSA P-256 signature over method, path, body digest, timestamp, nonce
 * and device id. `presentKey` adds the public key, for a device the server does not know yet.
 */
export async function signRequest(
  device: DeviceKey,
  request: { path: string; body: string; now: number; presentKey: boolean },
  crypto: SdkCrypto,
): Promise<Record<string, string>> {
  const nonceBytes = new Uint8Array(16);
  crypto.getRandomValues(nonceBytes);
  const nonce = toBase64Url(nonceBytes);
  const timestamp = String(Math.round(request.now));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(request.body)));
  const text = signingString({
    method: "POST",
    path: request.path,
    timestamp,
    nonce,
    bodyDigest: toBase64Url(digest),
    deviceId: device.id,
  });
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, device.privateKey, new TextEncoder().encode(text)),
  );
  return {
    [HEADERS.deviceId]: device.id,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: nonce,
    [HEADERS.signature]: toBase64Url(signature),
    ...(request.presentKey ? { [HEADERS.deviceKey]: device.publicKey } : {}),
  };
}
