/// <reference types="node" />
import type { PimsStore } from "./PimsStore.js";

/**
 * A store in one JSON file, for Node: created with mode 0600, replaced atomically on each
 * write (write a temporary file, then rename), so it survives restarts and crashes.
 * Node's modules are loaded on first use, so this module is harmless in a browser bundle.
 *
 * @example
 * await pims.initialize({ serverUrl: "https://pims.example.com", store: fileStore("./pims-device.json") });
 */
export function fileStore(path: string): PimsStore {
  let cache: Map<string, unknown> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<Map<string, unknown>> {
    if (cache) return cache;
    const fs = await import("node:fs/promises");
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(path, "utf8"));
      cache = new Map(typeof parsed === "object" && parsed !== null ? Object.entries(parsed) : []);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
      cache = new Map();
    }
    return cache;
  }

  async function persist(values: Map<string, unknown>): Promise<void> {
    const fs = await import("node:fs/promises");
    const temporary = `${path}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await fs.open(temporary, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(Object.fromEntries(values)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, path);
    await fs.chmod(path, 0o600);
  }

  /** Writes run one after the other, each on the latest state. */
  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  }

  return {
    keepsCryptoKeys: false,
    async get(key) {
      return (await load()).get(key);
    },
    set(key, value) {
      return serialized(async () => {
        const values = new Map(await load());
        values.set(key, value);
        await persist(values);
        cache = values;
      });
    },
    delete(key) {
      return serialized(async () => {
        const values = new Map(await load());
        if (!values.delete(key)) return;
        await persist(values);
        cache = values;
      });
    },
  };
}
