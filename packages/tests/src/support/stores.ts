import { memoryStore, type PimsStore } from "@pims/sdk";

/** A store that fails its writes while `failing(key, value)` says so: a full disk, a locked keychain. */
export function failingStore(
  failing: (key: string, value: unknown) => boolean,
  inner: PimsStore = memoryStore(),
): PimsStore & { setFailing(next: (key: string, value: unknown) => boolean): void } {
  let predicate = failing;
  return {
    keepsCryptoKeys: inner.keepsCryptoKeys,
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    async set(key, value) {
      if (predicate(key, value)) throw new Error("store write failed");
      await inner.set(key, value);
    },
    setFailing(next) {
      predicate = next;
    },
  };
}
