import { toBase64Url } from "@pims/protocol";
import type { SdkCrypto } from "../sdkCrypto.js";
import type { PimsStore } from "../stores/PimsStore.js";

/** This device's enrollment for one account, ready to sign. */
export interface DeviceKey {
  /** `dev_` + thumbprint of the public key. */
  readonly id: string;
  /** Raw P-256 point, base64url. */
  readonly publicKey: string;
  readonly privateKey: CryptoKey;
  /** When the server confirmed the enrollment; absent while enrolling (or until repaired). */
  readonly enrolledAt: number | undefined;
}

/** What the store keeps: the private key as a CryptoKey where the store can, a JWK otherwise. */
interface StoredDevice {
  readonly id: string;
  readonly publicKey: string;
  readonly privateKey: CryptoKey | JsonWebKey;
  readonly enrolledAt?: number;
}

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;

const storeKey = (accountId: string) => `pims.device.${accountId}`;

/** The device key of an account, or `undefined`. */
export async function loadDeviceKey(
  store: PimsStore,
  accountId: string,
  crypto: SdkCrypto,
): Promise<DeviceKey | undefined> {
  const stored = (await store.get(storeKey(accountId))) as StoredDevice | undefined;
  if (!stored || typeof stored.id !== "string" || typeof stored.publicKey !== "string" || !stored.privateKey) {
    return undefined;
  }
  const privateKey = isCryptoKey(stored.privateKey)
    ? stored.privateKey
    : await crypto.subtle.importKey("jwk", stored.privateKey, ECDSA, false, ["sign"]);
  return { id: stored.id, publicKey: stored.publicKey, privateKey, enrolledAt: stored.enrolledAt };
}

/**
 * Creates and stores a new ECDSA P-256 key pair for an account. Non-extractable when the store
 * keeps CryptoKey objects (memory, IndexedDB): script can sign with it but never read it. A file
 * store gets the private key as a JWK, in its 0600 file.
 */
export async function createDeviceKey(store: PimsStore, accountId: string, crypto: SdkCrypto): Promise<DeviceKey> {
  const pair = (await crypto.subtle.generateKey(ECDSA, !store.keepsCryptoKeys, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const publicKey = toBase64Url(raw);
  const id = await deviceIdOf(raw, crypto);
  const privateKey = store.keepsCryptoKeys ? pair.privateKey : await crypto.subtle.exportKey("jwk", pair.privateKey);
  await store.set(storeKey(accountId), { id, publicKey, privateKey } satisfies StoredDevice);
  const usable = store.keepsCryptoKeys
    ? pair.privateKey
    : await crypto.subtle.importKey("jwk", privateKey as JsonWebKey, ECDSA, false, ["sign"]);
  return { id, publicKey, privateKey: usable, enrolledAt: undefined };
}

/** Records that the server confirmed the enrollment. */
export async function markEnrolled(store: PimsStore, accountId: string, at: number): Promise<void> {
  const stored = (await store.get(storeKey(accountId))) as StoredDevice | undefined;
  if (!stored) throw new Error("device key vanished from the store");
  await store.set(storeKey(accountId), { ...stored, enrolledAt: at } satisfies StoredDevice);
}

/** Forgets the device key of an account (removed by S12 or disabled). */
export async function forgetDeviceKey(store: PimsStore, accountId: string): Promise<void> {
  await store.delete(storeKey(accountId));
}

/** `dev_` + the first 22 characters of the base64url SHA-256 of the raw public key. */
export async function deviceIdOf(rawPublicKey: Uint8Array, crypto: SdkCrypto): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", rawPublicKey as BufferSource));
  return `dev_${toBase64Url(digest).slice(0, 22)}`;
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" && value instanceof CryptoKey;
}
