import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, HEADERS, INTERNAL_PATHS, loginUser, PROTOCOL_VERSION, username } from "@pims/protocol";
import { createPims, type Pims, type PimsConfig } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { recordingFetch, replay } from "../support/recordingFetch.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The SDK's `credential.clientId` and `profile.brand` with the real server, which serves two
 * brands from a tenants file (decision 0028, docs/tenants.md): `GET /v1/client` at `initialize`,
 * the client id on every call, and the brand's accounts apart from the other brand's.
 */

const PEUGEOT_IOS = "peugeot-ios-0001";
const PEUGEOT_RETIRED = "peugeot-old-0001";
const CITROEN_ANDROID = "citroen-android-0001";
const SECRET = "865333ef347etr-never-sent";

const TENANTS = {
  tenants: [
    {
      id: "peugeot",
      name: "Peugeot",
      apps: [
        { clientId: PEUGEOT_IOS, name: "Peugeot iOS" },
        { clientId: PEUGEOT_RETIRED, name: "Peugeot iOS (retired)", disabled: true },
      ],
      policy: {},
    },
    {
      id: "citroen",
      name: "Citroën",
      apps: [{ clientId: CITROEN_ANDROID, name: "Citroën Android" }],
      policy: {},
    },
  ],
};

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pims-tenants-"));
  const file = join(dir, "tenants.json");
  await writeFile(file, JSON.stringify(TENANTS, null, 2));
  server = await startTestServer({ env: { PIMS_TENANTS_FILE: file } });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const config = (clientId?: string, brand?: string, extra: Partial<PimsConfig> = {}): PimsConfig => ({
  serverUrl: server.url,
  ...(clientId === undefined ? {} : { credential: { clientId, clientSecret: SECRET } }),
  ...(brand === undefined ? {} : { profile: { brand } }),
  ...extra,
});

async function initialized(clientId?: string, brand?: string, extra: Partial<PimsConfig> = {}): Promise<Pims> {
  const pims = createPims();
  expectSuccess(await pims.initialize(config(clientId, brand, extra)));
  return pims;
}

const uniqueLogin = () => `brand-${Math.random().toString(36).slice(2, 10)}@example.com`;

describe("the SDK's client id and brand, against the real server", () => {
  it("GET /v1/client answers the app's tenant for a declared client id", async () => {
    const response = await fetch(new URL(INTERNAL_PATHS.client, server.url), {
      headers: { [HEADERS.clientId]: PEUGEOT_IOS, [HEADERS.protocol]: String(PROTOCOL_VERSION) },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; result: { clientId: string; tenant: unknown } };
    expect(body.status).toBe("SUCCEEDED");
    expect(body.result.clientId).toBe(PEUGEOT_IOS);
    expect(body.result.tenant).toMatchObject({ id: "peugeot", name: "Peugeot" });
  });

  it.each([
    ["Peugeot", PEUGEOT_IOS, "the tenant's name"],
    ["peugeot", PEUGEOT_IOS, "the tenant's id"],
    ["citroen", CITROEN_ANDROID, "the name Citroën without its accent"],
    ["CITROËN", CITROEN_ANDROID, "the name in upper case"],
  ])("initialize with brand %s and client id %s (%s) succeeds", async (brand, clientId) => {
    const pims = await initialized(clientId, brand);
    expectSuccess(
      await pims.set(createAccount.api, { action: "createAccount", login: uniqueLogin(), password: "pw-1-long" }),
    );
  });

  it.each([
    ["an unknown client id", "renault-ios-0001", undefined],
    ["a disabled app's client id", PEUGEOT_RETIRED, undefined],
    ["another brand's client id", CITROEN_ANDROID, "Peugeot"],
  ])("initialize with %s: 2006, and the SDK stays uninitialized", async (_name, clientId, brand) => {
    // A build of one brand with a client id that is not its own (unknown, retired or another brand's) must not start.
    const pims = createPims();
    expectFailure(await pims.initialize(config(clientId, brand)), 2006);
    expectFailure(await pims.get(username.api, { actionType: "basic", type: "username" }), 2001);
  });

  it("every request carries the client id, and the client secret reaches neither the wire nor the server's logs", async () => {
    const recorded = recordingFetch();
    const pims = await initialized(PEUGEOT_IOS, "Peugeot", { fetch: recorded.fetch });
    const login = uniqueLogin();
    expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "pw-1-long" }));
    expect(expectSuccess(await pims.get(username.api, { actionType: "basic", type: "username" }))).toEqual({
      username: login,
    });
    expect(recorded.sent.map((r) => new URL(r.url).pathname)).toEqual([
      INTERNAL_PATHS.client,
      createAccount.path,
      username.path,
    ]);
    for (const request of recorded.sent) {
      expect(request.headers[HEADERS.clientId]).toBe(PEUGEOT_IOS);
      expect(JSON.stringify(request)).not.toContain(SECRET);
    }
    expect(server.logs.join("\n")).not.toContain(SECRET);
  });

  it("the same login is two accounts in the two brands, each with its own password", async () => {
    const login = uniqueLogin();
    const peugeot = await initialized(PEUGEOT_IOS, "peugeot");
    const citroen = await initialized(CITROEN_ANDROID, "citroen");
    expectSuccess(await peugeot.set(createAccount.api, { action: "createAccount", login, password: "peugeot-pw-1" }));
    expectSuccess(await citroen.set(createAccount.api, { action: "createAccount", login, password: "citroen-pw-1" }));

    // Peugeot's password does not open the Citroën account of the same login, nor the reverse.
    expectFailure(
      await (await initialized(CITROEN_ANDROID)).set(loginUser.api, {
        action: "login",
        login,
        password: "peugeot-pw-1",
      }),
      2401,
    );
    expectFailure(
      await (await initialized(PEUGEOT_IOS)).set(loginUser.api, { action: "login", login, password: "citroen-pw-1" }),
      2401,
    );
    expectSuccess(
      await (await initialized(PEUGEOT_IOS)).set(loginUser.api, { action: "login", login, password: "peugeot-pw-1" }),
    );
    // Without a client id: the default tenant, where neither account exists.
    expectFailure(
      await (await initialized()).set(loginUser.api, { action: "login", login, password: "peugeot-pw-1" }),
      2401,
    );
  });

  it("a session of one brand is unknown with another brand's client id, or with none", async () => {
    // A token taken from the Peugeot app and sent with the Citroën app's client id must not reach any account.
    const recorded = recordingFetch();
    const pims = await initialized(PEUGEOT_IOS, "Peugeot", { fetch: recorded.fetch });
    expectSuccess(
      await pims.set(createAccount.api, { action: "createAccount", login: uniqueLogin(), password: "pw-1-long" }),
    );
    expectSuccess(await pims.get(username.api, { actionType: "basic", type: "username" }));
    const call = recorded.sent.find((r) => new URL(r.url).pathname === username.path);
    if (!call) throw new Error("the SDK sent no username call");

    const same = await replay(call);
    expect(same.body.status).toBe("SUCCEEDED");
    const otherBrand = await replay(call, { headers: { ...call.headers, [HEADERS.clientId]: CITROEN_ANDROID } });
    expect(otherBrand.body.error?.code).toBe(2301);
    const { [HEADERS.clientId]: _dropped, ...withoutClientId } = call.headers;
    const defaultTenant = await replay(call, { headers: withoutClientId });
    expect(defaultTenant.body.error?.code).toBe(2301);
  });

  it("without a client id, the SDK works as before on the default tenant", async () => {
    const recorded = recordingFetch();
    const pims = await initialized(undefined, undefined, { fetch: recorded.fetch });
    const login = uniqueLogin();
    expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "pw-1-long" }));
    expect(expectSuccess(await pims.get(username.api, { actionType: "basic", type: "username" }))).toEqual({
      username: login,
    });
    expect(recorded.sent.map((r) => new URL(r.url).pathname)).toEqual([createAccount.path, username.path]);
    for (const request of recorded.sent) expect(request.headers[HEADERS.clientId]).toBeUndefined();
  });
});
