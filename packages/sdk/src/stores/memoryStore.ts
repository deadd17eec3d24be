import type { PimsStore } from "./PimsStore.js";

/**
 * A store that lives as long as the process: for tests, and for apps that log in each time.
 *
 * @example
 * await pims.initialize({ serverUrl: "http://localhost:8080", store: memoryStore() });
 */
export function memoryStore(): PimsStore {
  const values = new Map<string, unknown>();
  return {
    keepsCryptoKeys: true,
    async get(key) {
      return values.get(key);
    },
    async set(key, value) {
      values.set(key, value);
    },
    async delete(key) {
      values.delete(key);
    },
  };
}
