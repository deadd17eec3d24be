import { createAccount, logout, otpWithPin, trustedPhoneNumber, username } from "@pims/protocol";
import { createPims, memoryStore, type PimsMessage } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess, initializedPims } from "../support/facade.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("facade lifecycle (spec §1)", () => {
  it("answers 2001 to every verb before initialize", async () => {
    const pims = createPims();
    expectFailure(
      await pims.get(otpWithPin.api, { action: "withPIN", pinCode: "1234" }),
      2001,
      "Facade not initialized",
    );
    expectFailure(await pims.set(logout.api, { action: "logout" }), 2001);
    expectFailure(await pims.get("not.an.api", {}), 2001);
    expectFailure(await pims.release(), 2001);
  });

  it("initializes once: result null, then 2007", async () => {
    const pims = createPims();
    const first = await pims.initialize({ serverUrl: server.url });
    expect(first).toEqual({ transactionId: first.transactionId, status: "SUCCEEDED", result: null });
    expectFailure(await pims.initialize({ serverUrl: server.url }), 2007, "Facade already initialized");
  });

  it("answers 2007 to a second initialize made while the first is still running", async () => {
    const pims = createPims();
    const [a, b] = await Promise.all([
      pims.initialize({ serverUrl: server.url }),
      pims.initialize({ serverUrl: server.url }),
    ]);
    expect([a.status, b.status].sort()).toEqual(["FAILED", "SUCCEEDED"]);
    expectFailure(a.status === "FAILED" ? a : b, 2007);
  });

  it.each([
    ["no config", undefined],
    ["no serverUrl", {}],
    ["an empty serverUrl", { serverUrl: "" }],
    ["a serverUrl that is not a URL", { serverUrl: "localhost:8080" }],
    ["a non-http URL", { serverUrl: "ftp://example.com" }],
    ["credentials in the URL", { serverUrl: "http://user:pw@example.com" }],
    ["a number as serverUrl", { serverUrl: 8080 }],
    ["a negative timeout", { serverUrl: "http://127.0.0.1:1", timeoutMs: -5 }],
    ["a timeout that is not a number", { serverUrl: "http://127.0.0.1:1", timeoutMs: "5s" }],
    ["a store without methods", { serverUrl: "http://127.0.0.1:1", store: {} }],
  ])("answers 2006 for %s, and stays uninitialized", async (_name, config) => {
    const pims = createPims();
    expectFailure(await pims.initialize(config as never), 2006, "Core not well configured");
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2001);
    expectSuccess(await pims.initialize({ serverUrl: server.url }));
  });

  it("answers 2002 for an unknown api, and for a known api under the wrong verb", async () => {
    const pims = await initializedPims(server.url);
    expectFailure(await pims.get("pims.vehicle.vin", {}), 2002, "API not supported");
    expectFailure(await pims.set(otpWithPin.api, { action: "withPIN", pinCode: "1234" }), 2002);
    expectFailure(await pims.get(undefined as never, {}), 2002);
  });

  it("gives the callback and the promise the same single message", async () => {
    const pims = await initializedPims(server.url);
    const received: PimsMessage[] = [];
    const message = await pims.get(otpWithPin.api, { action: "nope" }, (m) => received.push(m));
    expect(received).toHaveLength(1);
    expect(received[0]).toBe(message);
    expectFailure(message, 2102, "Invalid action parameter");
  });

  it("never throws nor rejects, even when the callback throws", async () => {
    const pims = await initializedPims(server.url);
    const message = await pims.get(trustedPhoneNumber.api, {}, () => {
      throw new Error("app bug");
    });
    expectFailure(message, 2301);
    await expect(pims.set(createAccount.api, "garbage" as never)).resolves.toMatchObject({
      status: "FAILED",
      error: { code: 2102, label: "Invalid parameters parameter" },
    });
  });

  it("gives each call a unique transaction id", async () => {
    const pims = await initializedPims(server.url);
    const messages = await Promise.all(Array.from({ length: 200 }, () => pims.get(otpWithPin.api, { action: "x" })));
    const ids = new Set(messages.map((m) => m.transactionId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("release forgets the session, answers null, and allows a new initialize", async () => {
    const store = memoryStore();
    const pims = await initializedPims(server.url, store);
    expectSuccess(
      await pims.set(createAccount.api, {
        action: "createAccount",
        login: "releaser",
        password: "release-me-1",
      }),
    );
    const released = await pims.release();
    expect(released).toMatchObject({ status: "SUCCEEDED", result: null });
    expectFailure(await pims.get(username.api, { actionType: "basic", type: "username" }), 2001);
    expectSuccess(await pims.initialize({ serverUrl: server.url, store }));
    expectFailure(await pims.get(username.api, { actionType: "basic", type: "username" }), 2301);
  });
});
