import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { fromBase64Url, HEADERS, type OperationDeclaration, SIGNATURE_SHAPES, signingString } from "@pims/protocol";
import type { DeviceProof, Principal } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { Services } from "../Services.js";
import { devicePublicJwk } from "./devicePublicJwk.js";

/** What a device signature covers, as the transport received it. */
export interface SignedRequest {
  readonly method: string;
  /** The route's path (the declared one, not the URL with its query). */
  readonly path: string;
  /** A request header, when it is there once. */
  header(name: string): string | undefined;
  /** The exact body bytes, as text. */
  readonly body: string;
}

/**
 * Checks the device signature of a request (design property 3; decision 0003). Unsigned → `undefined`
 * (operations that need a device answer 2313). Otherwise, in order: shapes, timestamp within the
 * allowed skew, device of this account and not removed or disabled (2312), the key (the enrolled one
 * for `enrolled` operations — 2313 when the device is not enrolled — or the presented one, whose
 * thumbprint must be the device id), the ECDSA signature over method, path, body digest, timestamp,
 * nonce and device id, and last the nonce, remembered so a replay fails. Any mismatch: 2311. With
 * `nonceInTransaction` (NONCE_IN_TRANSACTION), the nonce is left for the handler to spend, first
 * in its transaction ({@link DeviceProof.spendNonce}).
 */
export async function verifyDeviceProof(
  request: SignedRequest,
  principal: Principal,
  operation: OperationDeclaration,
  services: Pick<Services, "config" | "clock" | "devices" | "nonces">,
  nonceInTransaction = false,
): Promise<DeviceProof | undefined> {
  const header = (name: string) => request.header(name);
  const deviceId = header(HEADERS.deviceId);
  const timestamp = header(HEADERS.timestamp);
  const nonce = header(HEADERS.nonce);
  const signature = header(HEADERS.signature);
  if (deviceId === undefined && signature === undefined) return undefined;
  const broken = () => new PimsError(2311);
  if (
    !deviceId ||
    !timestamp ||
    !nonce ||
    !signature ||
    !SIGNATURE_SHAPES.deviceId.test(deviceId) ||
    !SIGNATURE_SHAPES.timestamp.test(timestamp) ||
    !SIGNATURE_SHAPES.nonce.test(nonce) ||
    !SIGNATURE_SHAPES.signature.test(signature)
  ) {
    throw broken();
  }
  const skewMs = services.config.devices.maxSkewSeconds * 1000;
  if (Math.abs(Number(timestamp) - services.clock.now()) > skewMs) throw broken();

  const record = await services.devices.find(deviceId);
  if (record && record.account_id !== principal.accountId) throw broken();
  if (record?.status === "removed" || record?.status === "disabled") throw new PimsError(2312);
  let publicKey: string;
  if (operation.device === "enrolled") {
    if (record?.status !== "active") throw new PimsError(2313);
    publicKey = record.public_key;
  } else {
    const presented = header(HEADERS.deviceKey);
    publicKey = record?.public_key ?? presented ?? "";
    if (!SIGNATURE_SHAPES.publicKey.test(publicKey) || (presented !== undefined && presented !== publicKey)) {
      throw broken();
    }
    if (deviceIdOf(publicKey) !== deviceId) throw broken();
  }

  const signed = signingString({
    method: request.method,
    path: request.path,
    timestamp,
    nonce,
    bodyDigest: createHash("sha256").update(request.body, "utf8").digest("base64url"),
    deviceId,
  });
  if (!verifySignature(publicKey, signed, signature)) throw broken();
  const nonceKey = `${deviceId}:${nonce}`;
  let nonceSpent = !nonceInTransaction;
  if (nonceSpent && !(await services.nonces.remember(nonceKey, 2 * skewMs))) throw broken();
  return {
    deviceId,
    publicKey,
    record,
    timestamp,
    nonce,
    transactionSignature: header(HEADERS.transactionSignature),
    async spendNonce(trx) {
      if (nonceSpent) return;
      if (!(await services.nonces.remember(nonceKey, 2 * skewMs, trx))) throw broken();
      nonceSpent = true;
    },
    async spendNonceAfterFailure() {
      // Not the flag: a spend in a transaction that rolled back set it, and the row went with it.
      if (nonceInTransaction) await services.nonces.remember(nonceKey, 2 * skewMs);
      nonceSpent = true;
    },
    get nonceSpent() {
      return nonceSpent;
    },
  };
}

/** `dev_` + the first 22 characters of the base64url SHA-256 of the raw public key. */
export function deviceIdOf(publicKey: string): string {
  const raw = fromBase64Url(publicKey) ?? new Uint8Array();
  return `dev_${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}`;
}

/** Public keys parsed once: devices sign every request with the same key. */
const keyObjects = new Map<string, KeyObject>();

/** True when `signature` (P1363, base64url) by the raw P-256 `publicKey` covers `signed` (UTF-8). */
export function verifySignature(publicKey: string, signed: string, signature: string): boolean {
  const sig = fromBase64Url(signature);
  if (sig?.length !== 64) return false;
  try {
    let key = keyObjects.get(publicKey);
    if (!key) {
      const jwk = devicePublicJwk(publicKey);
      if (!jwk) return false;
      key = createPublicKey({ key: { ...jwk }, format: "jwk" });
      if (keyObjects.size >= 10_000) keyObjects.clear();
      keyObjects.set(publicKey, key);
    }
    return verify("sha256", Buffer.from(signed, "utf8"), { key, dsaEncoding: "ieee-p1363" }, sig);
  } catch {
    return false;
  }
}
