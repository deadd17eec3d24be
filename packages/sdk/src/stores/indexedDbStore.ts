import type { PimsStore } from "./PimsStore.js";

/**
 * A store in the browser's IndexedDB. It keeps `CryptoKey` objects as they are, so the device
 * key is created non-extractable: script on the page can use it but never read it out.
 *
 * @example
 * await pims.initialize({ serverUrl: location.origin, store: indexedDbStore() });
 */
export function indexedDbStore(databaseName = "pims"): PimsStore {
  const objectStore = "values";
  let opened: Promise<IDBDatabase> | undefined;

  function open(): Promise<IDBDatabase> {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(objectStore);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opened;
  }

  async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await open();
    return new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(objectStore, mode);
      const request = work(transaction.objectStore(objectStore));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  return {
    keepsCryptoKeys: true,
    get: (key) => run("readonly", (store) => store.get(key)),
    set: async (key, value) => {
      await run("readwrite", (store) => store.put(value, key));
    },
    delete: async (key) => {
      await run("readwrite", (store) => store.delete(key));
    },
  };
}
