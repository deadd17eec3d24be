import { describe, expect, it } from "vitest";
import { type SecureStorageAdapter, secureStore } from "./secureStore.js";

function mapAdapter(): SecureStorageAdapter & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItemAsync: async (key) => values.get(key) ?? null,
    setItemAsync: async (key, value) => {
      values.set(key, value);
    },
    deleteItemAsync: async (key) => {
      values.delete(key);
    },
  };
}

describe("secureStore", () => {
  it("keeps JSON strings only, reads them back, forgets them", async () => {
    const adapter = mapAdapter();
    const store = secureStore(adapter);
    await store.set("pims.session", { accessToken: "pat_x", username: "alice" });
    expect(adapter.values.get("pims.session")).toBe('{"accessToken":"pat_x","username":"alice"}');
    expect(await store.get("pims.session")).toEqual({ accessToken: "pat_x", username: "alice" });
    await store.delete("pims.session");
    expect(await store.get("pims.session")).toBeUndefined();
  });

  it("says it cannot keep CryptoKey objects, so the device key is kept as a JWK", () => {
    expect(secureStore(mapAdapter()).keepsCryptoKeys).toBe(false);
  });

  it("refuses an adapter without the three methods, and a value that is not JSON", async () => {
    expect(() => secureStore({} as SecureStorageAdapter)).toThrow(/getItemAsync, setItemAsync and deleteItemAsync/);
    const adapter = mapAdapter();
    adapter.values.set("pims.session", "not json");
    await expect(secureStore(adapter).get("pims.session")).rejects.toThrow(/not JSON/);
  });
});
