/**
 * Where the SDK keeps what must outlive a call: the session and this device's enrollment
 * (its signing key and identifiers). One small interface, so a native keychain can sit behind it.
 *
 * The SDK never stores a PIN, an SMS code or an OTP.
 */
export interface PimsStore {
  /** The value under `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Stores `value` under `key`; resolves once it is durable. */
  set(key: string, value: unknown): Promise<void>;
  /** Forgets `key`; resolves once that is durable. */
  delete(key: string): Promise<void>;
  /**
   * True when the store can keep WebCrypto `CryptoKey` objects as they are (memory, IndexedDB):
   * the device key is then created non-extractable. Otherwise (a file) it is kept as a JWK.
   */
  readonly keepsCryptoKeys: boolean;
}

/** True when `value` has the methods of a {@link PimsStore}. */
export function isPimsStore(value: unknown): value is PimsStore {
  if (typeof value !== "object" || value === null) return false;
  const store = value as Record<string, unknown>;
  return typeof store.get === "function" && typeof store.set === "function" && typeof store.delete === "function";
}
