import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileStore } from "./fileStore.js";
import { memoryStore } from "./memoryStore.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pims-store-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("fileStore", () => {
  it("creates its file with mode 0600", async () => {
    const path = join(dir, "device.json");
    await fileStore(path).set("k", { a: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("keeps 0600 when the file existed with wider rights", async () => {
    const path = join(dir, "device.json");
    await writeFile(path, "{}", { mode: 0o644 });
    await fileStore(path).set("k", 1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("survives a restart: a new store on the same file reads what the old one wrote", async () => {
    const path = join(dir, "device.json");
    const first = fileStore(path);
    await first.set("pims.session", { accessToken: "pat_x", username: "alice" });
    await first.set("other", [1, 2, 3]);
    await first.delete("other");
    const second = fileStore(path);
    expect(await second.get("pims.session")).toEqual({ accessToken: "pat_x", username: "alice" });
    expect(await second.get("other")).toBeUndefined();
  });

  it("applies concurrent writes one after the other, losing none, leaving no temporary file", async () => {
    const path = join(dir, "device.json");
    const store = fileStore(path);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`k${i}`, i)));
    const onDisk = JSON.parse(await readFile(path, "utf8")) as Record<string, number>;
    expect(Object.keys(onDisk)).toHaveLength(25);
    expect(await readdir(dir)).toEqual(["device.json"]);
  });

  it("rejects (and the facade reports) when the folder cannot be written", async () => {
    const store = fileStore(join(dir, "missing-folder", "device.json"));
    await expect(store.set("k", 1)).rejects.toThrow();
    expect(await store.get("k")).toBeUndefined();
  });

  it("says it cannot keep CryptoKey objects, so device keys are stored as JWK", () => {
    expect(fileStore(join(dir, "x.json")).keepsCryptoKeys).toBe(false);
    expect(memoryStore().keepsCryptoKeys).toBe(true);
  });
});
