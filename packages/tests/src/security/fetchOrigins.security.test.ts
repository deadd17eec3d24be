import type { IncomingHttpHeaders } from "node:http";
import { createAccount, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsConfig } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { rawServer } from "../support/rawServers.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

/**
 * The attack: an app calls pims.fetch on a third-party origin (an analytics endpoint, a CDN, a URL
 * built from what a user typed): the bearer token and the OTP leak, and whoever receives them can
 * call the app's protected API as the user. pims.fetch must send them only to the origins the app
 * declared (`protectedOrigins`; by default the Pims server's own origin).
 */
interface Site {
  readonly url: string;
  readonly received: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function recordingSite(redirectTo?: () => string): Promise<Site> {
  const received: IncomingHttpHeaders[] = [];
  const site = await rawServer((request, response) => {
    received.push(request.headers);
    if (redirectTo && request.url === "/redirect") {
      response.writeHead(302, { location: `${redirectTo()}/landing` }).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  return { ...site, received };
}

let server: TestServer;
let thirdParty: Site;
let api: Site;
beforeAll(async () => {
  server = await startTestServer();
  thirdParty = await recordingSite();
  api = await recordingSite(() => thirdParty.url);
});
afterAll(async () => {
  await thirdParty.close();
  await api.close();
  await server.close();
});

/** A logged-in, enrolled facade holding a fresh OTP (S15), initialized with `config`. */
async function holdingAnOtp(config: Partial<PimsConfig> = {}): Promise<{ pims: Pims; otp: string; token: string }> {
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: server.url, store: memoryStore(), ...config }));
  const login = `fetch-${Math.random().toString(36).slice(2)}`;
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a long password" }));
  const { pin } = await enrollWithShortcut(server.url, pims);
  const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
    otp: string;
  };
  const token = await accessToken(pims);
  return { pims, otp, token };
}

const last = (site: Site) => site.received.at(-1) as IncomingHttpHeaders;

describe("pims.fetch and origins", () => {
  it("an app calls pims.fetch on a third-party origin: it carries neither the bearer token nor the OTP", async () => {
    const { pims, otp, token } = await holdingAnOtp({ protectedOrigins: [api.url] });
    const before = thirdParty.received.length;
    expect((await pims.fetch(`${thirdParty.url}/collect?event=transfer`)).status).toBe(200);
    expect(thirdParty.received.length).toBe(before + 1);
    expect(last(thirdParty).authorization).toBeUndefined();
    expect(last(thirdParty)["pims-otp"]).toBeUndefined();
    // The declared origin still gets both, and the OTP that was not sent elsewhere is still there.
    await pims.fetch(`${api.url}/transfer`, { method: "POST" });
    expect(last(api).authorization).toBe(`Bearer ${token}`);
    expect(last(api)["pims-otp"]).toBe(otp);
  });

  it("with no protectedOrigins, only the Pims server's origin gets them: the app's API does not either", async () => {
    const seen: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      if (String(input).endsWith("/health")) seen.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const { pims, otp, token } = await holdingAnOtp({ fetch: recording });
    await pims.fetch(`${thirdParty.url}/collect`);
    expect(last(thirdParty).authorization).toBeUndefined();
    expect(last(thirdParty)["pims-otp"]).toBeUndefined();
    await pims.fetch(`${api.url}/transfer`, { method: "POST" });
    expect(last(api).authorization).toBeUndefined();
    expect(last(api)["pims-otp"]).toBeUndefined();
    await pims.fetch(`${server.url}/health`);
    expect(seen.at(-1)?.get("authorization")).toBe(`Bearer ${token}`);
    expect(seen.at(-1)?.get("pims-otp")).toBe(otp);
  });

  it("a Request object or a URL object to a third party carries neither", async () => {
    const { pims } = await holdingAnOtp({ protectedOrigins: [api.url] });
    await pims.fetch(new Request(`${thirdParty.url}/a`));
    expect(last(thirdParty).authorization).toBeUndefined();
    expect(last(thirdParty)["pims-otp"]).toBeUndefined();
    await pims.fetch(new URL(`${thirdParty.url}/b`));
    expect(last(thirdParty).authorization).toBeUndefined();
    expect(last(thirdParty)["pims-otp"]).toBeUndefined();
  });

  it("a declared origin that redirects to a third party: the credentials do not follow the redirect", async () => {
    const { pims } = await holdingAnOtp({ protectedOrigins: [api.url] });
    const before = thirdParty.received.length;
    await expect(pims.fetch(`${api.url}/redirect`)).rejects.toThrow();
    expect(last(api)["pims-otp"]).toBeDefined();
    expect(thirdParty.received.slice(before).filter((h) => h["pims-otp"] || h.authorization)).toEqual([]);
  });

  it("protectedOrigins that are not origins: initialize refuses them (2006)", async () => {
    for (const protectedOrigins of [
      ["https://api.example.com/transfer"],
      ["*"],
      ["https://*.example.com"],
      ["https://api.example.com/?"],
      ["api.example.com"],
      ["ftp://api.example.com"],
      ["https://user:pw@api.example.com"],
      "https://api.example.com",
      [42],
    ]) {
      const pims = createPims();
      expectFailure(await pims.initialize({ serverUrl: server.url, protectedOrigins } as unknown as PimsConfig), 2006);
    }
    const pims = createPims();
    expectSuccess(
      await pims.initialize({
        serverUrl: server.url,
        protectedOrigins: ["https://api.example.com/", "https://API.example.com:443", api.url],
      }),
    );
  });
});
