import { webcrypto } from "node:crypto";
import { createAccount, enroll, removeEnrollments, updatePin } from "@pims/protocol";
import { createPims, memoryStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { type Recorded, recordingFetch, replay } from "../support/recordingFetch.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";
import { storedSession } from "../support/stores.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Device signatures under attack (design property 3). Every StrongAuthentication request of an
 * enrolled device is signed over method, path, body digest, timestamp and nonce; each test opens
 * with what the attacker tries.
 */
const clock = new TestClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock });
});
afterAll(() => server.close());

/** An enrolled facade whose requests are recorded, and its bearer token. */
async function enrolledAndRecorded() {
  const recorder = recordingFetch();
  const store = memoryStore();
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: server.url, store, fetch: recorder.fetch }));
  expectSuccess(
    await pims.set(createAccount.api, {
      action: "createAccount",
      login: `victim-${Math.random().toString(36).slice(2)}`,
      password: "victim-password",
    }),
  );
  const { pin, phone } = await enrollWithShortcut(server.url, pims);
  const token = await accessToken(pims);
  return { pims, store, pin, phone, token, sent: recorder.sent };
}

const lastTo = (sent: Recorded[], path: string) => sent.filter((r) => r.url.endsWith(path)).at(-1) as Recorded;
const failures = async (accountId: string) =>
  (
    await server.server.services.db
      .selectFrom("accounts")
      .select("pin_failures")
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow()
  ).pin_failures;

describe("recorded traffic", () => {
  it("the attacker replays a signed PIN change exactly as it was sent: refused (2311)", async () => {
    const victim = await enrolledAndRecorded();
    expectSuccess(await victim.pims.set(updatePin.api, { action: "update", oldPIN: victim.pin, newPIN: "97531" }));
    const recorded = lastTo(victim.sent, "/v1/pin/update");
    expect((await replay(recorded)).body.error?.code).toBe(2311);
  });

  it("the attacker alters the body of a signed request (another new PIN): refused (2311)", async () => {
    const victim = await enrolledAndRecorded();
    // The attacker sits on the path: the request never reached the server.
    const recorded = await signedButNotSent(victim, { action: "update", oldPIN: victim.pin, newPIN: "97531" });
    const altered = recorded.body.replace("97531", "11113333");
    expect((await replay(recorded, { body: altered })).body.error?.code).toBe(2311);
    // The untouched request still goes through: the refusal was about the alteration.
    expect((await replay(recorded)).body.status).toBe("SUCCEEDED");
  });

  it("the attacker sends a signed request to another route: refused (2311)", async () => {
    const victim = await enrolledAndRecorded();
    const recorded = await signedButNotSent(victim, { action: "update", oldPIN: victim.pin, newPIN: "97531" });
    // S1 takes any body (it has no parameters), so only the signature can refuse it.
    const other = recorded.url.replace("/v1/pin/update", "/v1/device/status");
    expect((await replay(recorded, { url: other })).body.error?.code).toBe(2311);
  });

  it("the attacker holds a signed request back and sends it 10 minutes later: refused (2311)", async () => {
    const victim = await enrolledAndRecorded();
    const recorded = await signedButNotSent(victim, { action: "update", oldPIN: victim.pin, newPIN: "97531" });
    clock.advance(10 * 60_000);
    try {
      expect((await replay(recorded)).body.error?.code).toBe(2311);
    } finally {
      clock.advance(-10 * 60_000);
    }
  });

  it("the attacker strips the signature: the operation needs an enrolled device (2313)", async () => {
    const victim = await enrolledAndRecorded();
    const recorded = await signedButNotSent(victim, { action: "update", oldPIN: victim.pin, newPIN: "97531" });
    const headers = Object.fromEntries(Object.entries(recorded.headers).filter(([k]) => !k.startsWith("pims-")));
    expect((await replay(recorded, { headers })).body.error?.code).toBe(2313);
  });
});

describe("an attacker holding only the access token", () => {
  it("cannot change the PIN, reset it, move the number, remove enrollments or enroll — nor lock the account", async () => {
    const victim = await enrolledAndRecorded();
    const accountId = (await storedSession(victim.store)).accountId;
    const post = async (path: string, body: object, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${victim.token}`, ...headers },
        body: JSON.stringify(body),
      });
      return ((await response.json()) as { error?: { code: number } }).error?.code;
    };
    expect(await post("/v1/pin/update", { oldPIN: "0000", newPIN: "1111" })).toBe(2313);
    expect(await post("/v1/pin/reset", { pinCode: "7391", smsCode: "123456" })).toBe(2305);
    expect(await post("/v1/phone/modify", { smsCode: "123456", phoneNumber: "0611111111" })).toBe(2313);
    expect(await post("/v1/enrollment/remove", {})).toBe(2305);
    expect(await post("/v1/enrollment/enroll", { pinCode: "1234", smsCode: "123456" })).toBe(2313);
    // With a device key of their own, the attacker still lacks the SMS proof: no PIN is even compared.
    const attacker = createPims();
    const attackerStore = memoryStore();
    expectSuccess(await attacker.initialize({ serverUrl: server.url, store: attackerStore }));
    await attackerStore.set("pims.session", { ...((await victim.store.get("pims.session")) as object) });
    const restored = createPims();
    expectSuccess(await restored.initialize({ serverUrl: server.url, store: attackerStore }));
    for (const guess of ["1234", "0000", "1111", "4321", "2580", "9999"]) {
      expectFailure(await restored.set(enroll.api, { action: "enroll", pinCode: guess }), 2305);
    }
    expectFailure(await restored.set(updatePin.api, { action: "update", oldPIN: "1234", newPIN: "4321" }), 2313);
    expectFailure(await restored.set(removeEnrollments.api, { action: "remove" }), 2305);
    expect(await failures(accountId)).toBe(0);
  });
});

describe("a device key of another account", () => {
  it("signs for the wrong account: refused (2311)", async () => {
    const alice = await enrolledAndRecorded();
    const mallory = await enrolledAndRecorded();
    const recorded = await signedButNotSent(alice, { action: "update", oldPIN: alice.pin, newPIN: "97531" });
    const headers = { ...recorded.headers, authorization: `Bearer ${mallory.token}` };
    expect((await replay(recorded, { headers })).body.error?.code).toBe(2311);
  });
});

describe("the device key itself", () => {
  it("is non-extractable where the store keeps CryptoKey objects", async () => {
    const victim = await enrolledAndRecorded();
    const session = await storedSession(victim.store);
    const device = (await victim.store.get(`pims.device.${session.accountId}`)) as { privateKey: CryptoKey };
    expect(device.privateKey.extractable).toBe(false);
    await expect(webcrypto.subtle.exportKey("jwk", device.privateKey as never)).rejects.toThrow();
  });
});

/**
 * Lets the SDK sign a PIN change but stops it before the server: what an attacker on the path
 * would hold. The SDK sees a network failure.
 */
async function signedButNotSent(
  victim: Awaited<ReturnType<typeof enrolledAndRecorded>>,
  params: Record<string, string>,
): Promise<Recorded> {
  let captured: Recorded | undefined;
  const pims = createPims();
  expectSuccess(
    await pims.initialize({
      serverUrl: server.url,
      store: victim.store,
      fetch: async (input, init) => {
        captured = {
          url: String(input),
          headers: { ...(init?.headers as Record<string, string>) },
          body: String(init?.body),
        };
        throw new TypeError("intercepted");
      },
    }),
  );
  expectFailure(await pims.set(updatePin.api, params), 2202);
  if (!captured) throw new Error("nothing captured");
  return captured;
}
