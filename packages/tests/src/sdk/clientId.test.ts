import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, errorBody, HEADERS, INTERNAL_PATHS, username } from "@pims/protocol";
import { createPims, fileStore, type Pims, type PimsConfig } from "@pims/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { rawServer } from "../support/rawServers.js";

/**
 * `credential.clientId` and `profile.brand` of `initialize`, against a plain HTTP server on
 * loopback that records every request it receives and answers `GET /v1/client` as the Pims
 * server does (decision 0028), plus the three routes these tests call. The same behaviour
 * against the real server: `clientId.roundtrip.test.ts`.
 */

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Tenant = { readonly id: string; readonly name: string };

const PEUGEOT: Tenant = { id: "peugeot", name: "Peugeot" };
/** The accent in the name only: a brand matches it with or without. */
const CITROEN: Tenant = { id: "c5", name: "Citroën" };
/** No accent in either: a brand with one matches it all the same. */
const CITROEN_PLAIN: Tenant = { id: "citroen", name: "Citroen SA" };
/** The client ids the fake server knows, and their tenants. */
const APPS: Readonly<Record<string, Tenant>> = {
  "peugeot-ios.1": PEUGEOT,
  "citroen-android_2": CITROEN,
  "citroen-web": CITROEN_PLAIN,
  ["x".repeat(128)]: PEUGEOT,
};
const SECRET = "865333ef347etr-client-secret";

/** How the fake answers `GET /v1/client`: as the server does, never, by dropping the connection, or oddly. */
let clientRoute: "normal" | "stall" | "drop" | "no-tenant" | "html-500" = "normal";
const seen: Seen[] = [];
let server: Awaited<ReturnType<typeof rawServer>>;
let other: Awaited<ReturnType<typeof rawServer>>;
const otherSeen: Seen[] = [];

const tokens = (n: number) => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresIn: 3600,
  username: "alice",
  accountId: "account-1",
});

function send(res: ServerResponse, status: number, message: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(message));
}

beforeAll(async () => {
  server = await rawServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const path = req.url ?? "";
    seen.push({ method: req.method ?? "", path, headers: req.headers, body });
    const clientId = req.headers[HEADERS.clientId];
    if (req.method === "GET" && path === INTERNAL_PATHS.client) {
      if (clientRoute === "stall") return;
      if (clientRoute === "drop") return void req.socket.destroy();
      if (clientRoute === "html-500") {
        res.writeHead(500, { "content-type": "text/html" });
        return void res.end("<h1>oops</h1>");
      }
      const tenant = typeof clientId === "string" ? APPS[clientId] : undefined;
      if (!tenant) return send(res, 503, { status: "FAILED", error: errorBody(2006) });
      const result = clientRoute === "no-tenant" ? { clientId, app: "x" } : { clientId, app: "app", tenant };
      return send(res, 200, { status: "SUCCEEDED", result });
    }
    if (req.method === "POST" && path === createAccount.path)
      return send(res, 200, { status: "SUCCEEDED", result: tokens(1) });
    if (req.method === "POST" && path === INTERNAL_PATHS.refresh)
      return send(res, 200, { status: "SUCCEEDED", result: tokens(2) });
    if (req.method === "POST" && path === username.path) {
      // The first access token is refused, so that the SDK refreshes and repeats the call.
      if (req.headers.authorization !== "Bearer access-2")
        return send(res, 401, { status: "FAILED", error: errorBody(2301) });
      return send(res, 200, { status: "SUCCEEDED", result: { username: "alice" } });
    }
    if (req.method === "GET" && path === "/app/balance") return send(res, 200, { balance: 1 });
    send(res, 404, { status: "FAILED", error: errorBody(2204) });
  });
  other = await rawServer((req, res) => {
    otherSeen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: "" });
    send(res, 200, { ok: true });
  });
});

afterAll(async () => {
  await server.close();
  await other.close();
});

afterEach(() => {
  seen.length = 0;
  otherSeen.length = 0;
  clientRoute = "normal";
});

const config = (extra: Record<string, unknown> = {}): PimsConfig => ({
  serverUrl: server.url,
  timeoutMs: 2_000,
  ...extra,
});

async function expectUninitialized(pims: Pims): Promise<void> {
  expectFailure(await pims.get(username.api, { actionType: "basic", type: "username" }), 2001);
}

describe("credential and profile: what initialize accepts", () => {
  it.each([
    ["credential that is not an object", { credential: "peugeot-ios.1" }],
    ["credential that is an array", { credential: ["peugeot-ios.1"] }],
    ["an empty clientId", { credential: { clientId: "" } }],
    ["a clientId of 129 characters", { credential: { clientId: "x".repeat(129) } }],
    ["a clientId with a space", { credential: { clientId: "peugeot ios" } }],
    ["a clientId with a slash", { credential: { clientId: "peugeot/ios" } }],
    ["a clientId with an accent", { credential: { clientId: "citroën" } }],
    ["a clientId with a line break", { credential: { clientId: "peugeot\nx" } }],
    ["a clientId that is a number", { credential: { clientId: 6779 } }],
    ["profile that is not an object", { profile: "peugeot" }],
    ["an empty brand", { profile: { brand: "" } }],
    ["a brand that is not a string", { profile: { brand: 7 } }],
  ])("%s: 2006, no request sent, still uninitialized", async (_name, extra) => {
    const pims = createPims();
    expectFailure(await pims.initialize(config(extra)), 2006, "Core not well configured");
    expect(seen).toEqual([]);
    await expectUninitialized(pims);
  });

  it("a clientId of 128 characters, the vendor's other credential fields and a client secret are accepted", async () => {
    const pims = createPims();
    const credential = {
      clientId: "x".repeat(128),
      clientSecret: SECRET,
      macID: "mac",
      inWeboURL: "https://a.example",
    };
    expectSuccess(await pims.initialize(config({ credential })));
    expect(seen.map((r) => r.headers[HEADERS.clientId])).toEqual(["x".repeat(128)]);
  });

  it("without clientId, initialize sends nothing and no request carries a client id (the default tenant)", async () => {
    const pims = createPims();
    expectSuccess(await pims.initialize(config({ credential: { clientSecret: SECRET }, profile: { brand: "opel" } })));
    expect(seen).toEqual([]);
    expectSuccess(
      await pims.set(createAccount.api, { action: "createAccount", login: "alice", password: "pw-long-1" }),
    );
    expect(seen.map((r) => r.path)).toEqual([createAccount.path]);
    expect(seen[0]?.headers[HEADERS.clientId]).toBeUndefined();
  });
});

describe("initialize with a clientId asks the server first", () => {
  it("GET /v1/client with the client id and the answer's transaction id, then SUCCEEDED", async () => {
    const pims = createPims();
    const message = await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } }));
    expectSuccess(message);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe(INTERNAL_PATHS.client);
    expect(request?.body).toBe("");
    expect(request?.headers[HEADERS.clientId]).toBe("peugeot-ios.1");
    expect(request?.headers[HEADERS.transactionId]).toBe(message.transactionId);
    expect(request?.headers["content-type"]).toBeUndefined();
  });

  it("an unknown client id: 2006, stays uninitialized, and initialize may be called again", async () => {
    const pims = createPims();
    expectFailure(await pims.initialize(config({ credential: { clientId: "renault-ios" } })), 2006);
    await expectUninitialized(pims);
    expectSuccess(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })));
  });

  it.each([
    ["the tenant's name", "Peugeot", "peugeot-ios.1"],
    ["the tenant's id", "peugeot", "peugeot-ios.1"],
    ["another case", "PEUGEOT", "peugeot-ios.1"],
    ["the name without its accent", "citroen", "citroen-android_2"],
    ["the name, accent in upper case", "CITROËN", "citroen-android_2"],
    ["the id, with an accent it does not have", "Citroën", "citroen-web"],
    ["the id, the accent as a combining mark", "Citroe\u0308n", "citroen-web"],
  ])("profile.brand matches by %s (%s)", async (_name, brand, clientId) => {
    const pims = createPims();
    expectSuccess(await pims.initialize(config({ credential: { clientId }, profile: { brand } })));
  });

  it.each([
    ["another brand", "opel"],
    ["a prefix of the name", "Peug"],
    ["the name with a space", "Peugeot "],
  ])("profile.brand that is %s: 2006, stays uninitialized", async (_name, brand) => {
    // A build for one brand shipped with another brand's client id would put its users in the other brand's accounts.
    const pims = createPims();
    expectFailure(
      await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" }, profile: { brand } })),
      2006,
    );
    await expectUninitialized(pims);
  });

  it("the server does not answer in time: 2201, stays uninitialized, and a retry succeeds", async () => {
    const pims = createPims();
    clientRoute = "stall";
    expectFailure(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" }, timeoutMs: 300 })), 2201);
    await expectUninitialized(pims);
    clientRoute = "normal";
    expectSuccess(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })));
  });

  it("the connection drops: 2202, stays uninitialized, and a retry succeeds", async () => {
    const pims = createPims();
    clientRoute = "drop";
    expectFailure(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })), 2202);
    await expectUninitialized(pims);
    clientRoute = "normal";
    expectSuccess(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })));
  });

  it.each([
    ["SUCCEEDED without a tenant", "no-tenant", 2203],
    ["a 500 page", "html-500", 2204],
  ] as const)("an answer that is %s: %i, stays uninitialized", async (_name, route, code) => {
    const pims = createPims();
    clientRoute = route;
    expectFailure(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })), code);
    await expectUninitialized(pims);
  });
});

describe("the client id on the wire", () => {
  it("every call to the Pims server carries it (operation, refresh, repeated call); pims.fetch never does", async () => {
    const pims = createPims();
    expectSuccess(await pims.initialize(config({ credential: { clientId: "peugeot-ios.1" } })));
    expectSuccess(
      await pims.set(createAccount.api, { action: "createAccount", login: "alice", password: "pw-long-1" }),
    );
    expect(expectSuccess(await pims.get(username.api, { actionType: "basic", type: "username" }))).toEqual({
      username: "alice",
    });
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${INTERNAL_PATHS.client}`,
      `POST ${createAccount.path}`,
      `POST ${username.path}`,
      `POST ${INTERNAL_PATHS.refresh}`,
      `POST ${username.path}`,
    ]);
    expect(seen.map((r) => r.headers[HEADERS.clientId])).toEqual(Array(5).fill("peugeot-ios.1"));

    // The app's own API on the Pims server's origin (protected by default) and on another origin.
    expect((await pims.fetch(`${server.url}/app/balance`)).status).toBe(200);
    expect((await pims.fetch(`${other.url}/elsewhere`)).status).toBe(200);
    expect(seen.at(-1)?.path).toBe("/app/balance");
    expect(seen.at(-1)?.headers.authorization).toBe("Bearer access-2");
    expect(seen.at(-1)?.headers[HEADERS.clientId]).toBeUndefined();
    expect(otherSeen).toHaveLength(1);
    expect(otherSeen[0]?.headers[HEADERS.clientId]).toBeUndefined();
  });

  it("the client secret is never sent and never stored", async () => {
    // Anyone with the app can read what it sends and keeps, so a client secret there would be no secret: the SDK drops it.
    const dir = await mkdtemp(join(tmpdir(), "pims-sdk-secret-"));
    try {
      const file = join(dir, "store.json");
      const pims = createPims();
      const credential = { clientId: "peugeot-ios.1", clientSecret: SECRET };
      expectSuccess(await pims.initialize(config({ credential, store: fileStore(file) })));
      expectSuccess(
        await pims.set(createAccount.api, { action: "createAccount", login: "alice", password: "pw-long-1" }),
      );
      expectSuccess(await pims.get(username.api, { actionType: "basic", type: "username" }));
      await pims.fetch(`${server.url}/app/balance`);
      expect(seen.length).toBeGreaterThanOrEqual(5);
      for (const request of seen) {
        expect(JSON.stringify(request)).not.toContain(SECRET);
      }
      const stored = await readFile(file, "utf8");
      expect(stored).toContain("refresh-2");
      expect(stored).not.toContain(SECRET);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
