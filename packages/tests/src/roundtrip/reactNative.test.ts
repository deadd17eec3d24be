import { webcrypto } from "node:crypto";
import {
  createAccount,
  isDeviceActivated,
  loginUser,
  otpWithoutPin,
  otpWithPin,
  removeEnrollments,
} from "@pims/protocol";
import { createPims, type Pims, type SecureStorageAdapter, secureStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollAnotherDevice, enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

/**
 * What React Native gives the SDK, as far as Node can stand in for it: no `globalThis.crypto` (the
 * app injects a WebCrypto provider, as `react-native-quick-crypto` is), no IndexedDB, and a secure
 * storage that keeps strings only (the shape of `expo-secure-store`), here over a Map. A device
 * build was not tested.
 */
const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
let server: TestServer;
let rpKey: string;

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  ({ key: rpKey } = await createRelyingParty(server.url, "react-native-rp"));
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true, writable: true });
});
afterAll(async () => {
  if (original) Object.defineProperty(globalThis, "crypto", original);
  await server.close();
});

/** Like `expo-secure-store`: strings in, strings out; anything else is refused as the native module would. */
function mapSecureStore(): SecureStorageAdapter & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    async getItemAsync(key) {
      return values.get(key) ?? null;
    },
    async setItemAsync(key, value) {
      if (typeof value !== "string") throw new TypeError("secure storage keeps strings only");
      if (!/^[\w.-]+$/.test(key)) throw new TypeError(`invalid key ${key}`);
      values.set(key, value);
    },
    async deleteItemAsync(key) {
      values.delete(key);
    },
  };
}

async function nativeLikePims(adapter: SecureStorageAdapter): Promise<Pims> {
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: server.url, store: secureStore(adapter), crypto: webcrypto }));
  return pims;
}

describe("React Native: injected WebCrypto, secureStore over strings-only storage", () => {
  it("runs with globalThis.crypto hidden", () => {
    expect(globalThis.crypto).toBeUndefined();
  });

  it("without a crypto provider, initialize says so (2006) instead of failing later", async () => {
    expectFailure(await createPims().initialize({ serverUrl: server.url, store: secureStore(mapSecureStore()) }), 2006);
  });

  it("enrolls (shortcut, then a second device by the full method), gets OTPs (S15, S16), keeps its key across restarts", async () => {
    const phoneStorage = mapSecureStore();
    const pims = await nativeLikePims(phoneStorage);
    const login = `rn-${Math.random().toString(36).slice(2)}`;
    const password = "a long password for rn";
    expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password }));
    const { pin, phone } = await enrollWithShortcut(server.url, pims);
    expect(
      expectSuccess(await pims.get(isDeviceActivated.api, { actionType: "strong", type: "isDeviceActivated" })),
    ).toEqual({
      isDeviceActivated: true,
    });

    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const token = await accessToken(pims);
    const verified = await verifyOtp(server.url, rpKey, { otp, accessToken: token });
    expect(verified.body.result).toMatchObject({ valid: true, factors: ["possession", "knowledge"] });

    // Only strings reached the storage; the device key is there as a JWK (private part included).
    for (const value of phoneStorage.values.values()) expect(typeof value).toBe("string");
    const deviceEntry = [...phoneStorage.values.entries()].find(([key]) => key.startsWith("pims.device."));
    expect(deviceEntry).toBeDefined();
    const stored = JSON.parse((deviceEntry as [string, string])[1]) as { privateKey: JsonWebKey };
    expect(stored.privateKey).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(typeof stored.privateKey.d).toBe("string");

    // The app restarts: a new facade over the same storage signs with the kept key.
    const restarted = await nativeLikePims(phoneStorage);
    const again = expectSuccess(await restarted.get(otpWithoutPin.api, { action: "withoutPIN" })) as {
      otp: string;
    };
    const after = await verifyOtp(server.url, rpKey, { otp: again.otp, accessToken: token });
    expect(after.body.result).toMatchObject({ valid: true, factors: ["possession"] });

    // A second phone of the same account enrolls by the full method (S4, S7, S10 with the PIN).
    const secondStorage = mapSecureStore();
    const second = await nativeLikePims(secondStorage);
    expectSuccess(await second.set(loginUser.api, { action: "login", login, password }));
    await enrollAnotherDevice(server.url, second, phone, pin);
    const secondOtp = expectSuccess(await second.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const secondToken = await accessToken(second);
    const third = await verifyOtp(server.url, rpKey, { otp: secondOtp.otp, accessToken: secondToken });
    expect(third.body.result).toMatchObject({ valid: true });
    expect((third.body.result as { device: string }).device).not.toBe(
      (verified.body.result as { device: string }).device,
    );

    // S12 removes the enrollment: the key leaves the storage too.
    expectSuccess(await second.set(removeEnrollments.api, { action: "remove" }));
    expect([...secondStorage.values.keys()].some((key) => key.startsWith("pims.device."))).toBe(false);
  });
});
