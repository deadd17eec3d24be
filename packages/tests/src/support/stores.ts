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

/** The session the SDK keeps in `store` (as `SessionKeeper` writes it). */
export async function storedSession(
  store: PimsStore,
): Promise<{ accountId: string; accessToken: string; refreshToken: string }> {
  return (await store.get("pims.session")) as { accountId: string; accessToken: string; refreshToken: string };
}

/** The id of the device key the SDK keeps in `store` for the session's account. */
export async function storedDeviceId(store: PimsStore): Promise<string> {
  const { accountId } = await storedSession(store);
  return ((await store.get(`pims.device.${accountId}`)) as { id: string }).id;
}
