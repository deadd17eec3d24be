import type { PimsStore } from "./PimsStore.js";

/**
 * A key-value secure storage that keeps strings only: the shape of `expo-secure-store`
 * (`import * as SecureStore from "expo-secure-store"` is one as it is). For another API, such as
 * `react-native-keychain`, write the three methods over it.
 */
export interface SecureStorageAdapter {
  /** The string under `key`, or `null` (or `undefined`) when there is none. */
  getItemAsync(key: string): Promise<string | null | undefined>;
  setItemAsync(key: string, value: string): Promise<void>;
  deleteItemAsync(key: string): Promise<void>;
}

/**
 * A store over a strings-only secure storage (iOS Keychain, Android Keystore-backed storage, as
 * `expo-secure-store` or `react-native-keychain` give them), for React Native. Each value is kept as
 * JSON text, so the device key is kept as a JWK (as {@link fileStore} does): the platform's storage
 * protects it at rest, not a non-extractable `CryptoKey`. Keys are `pims.session` and
 * `pims.device.<account id>` (letters, digits, `.`, `_`, `-`: accepted by `expo-secure-store`).
 *
 * @example
 * import * as SecureStore from "expo-secure-store";
 * import QuickCrypto from "react-native-quick-crypto";
 * await pims.initialize({ serverUrl, store: secureStore(SecureStore), crypto: QuickCrypto });
 */
export function secureStore(adapter: SecureStorageAdapter): PimsStore {
  if (
    typeof adapter !== "object" ||
    adapter === null ||
    typeof adapter.getItemAsync !== "function" ||
    typeof adapter.setItemAsync !== "function" ||
    typeof adapter.deleteItemAsync !== "function"
  ) {
    throw new TypeError("secureStore: the adapter needs getItemAsync, setItemAsync and deleteItemAsync");
  }
  return {
    keepsCryptoKeys: false,
    async get(key) {
      const text = await adapter.getItemAsync(key);
      if (text === null || text === undefined) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`secureStore: the value under ${key} is not JSON`);
      }
    },
    async set(key, value) {
      await adapter.setItemAsync(key, JSON.stringify(value));
    },
    async delete(key) {
      await adapter.deleteItemAsync(key);
    },
  };
}
