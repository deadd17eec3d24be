import { loginWithToken, username } from "@pims/protocol";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess, initializedPims } from "../support/facade.js";
import { startOidcIssuer } from "../support/oidcIssuer.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

const usernameSelector = { actionType: "basic", type: "username" };

let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
let server: TestServer;
beforeAll(async () => {
  issuer = await startOidcIssuer();
  server = await startTestServer({ env: { PIMS_OIDC_ISSUER: issuer.issuer, PIMS_OIDC_AUDIENCE: "pims-test" } });
});
afterAll(async () => {
  await server.close();
  await issuer.close();
});

describe("bearer JWTs of a configured OpenID Connect issuer", () => {
  it("accepts a valid token: the account is created on first use, from sub", async () => {
    const token = await issuer.token({ sub: "user-42", preferred_username: "frank" });
    const pims = await initializedPims(server.url);
    expectSuccess(await pims.set(loginWithToken.api, { action: "loginWithToken", token }));
    expect(expectSuccess(await pims.get(username.api, usernameSelector))).toEqual({ username: "frank" });
    const again = await initializedPims(server.url);
    expectSuccess(
      await again.set(loginWithToken.api, { action: "loginWithToken", token: await issuer.token({ sub: "user-42" }) }),
    );
    expect(expectSuccess(await again.get(username.api, usernameSelector))).toEqual({ username: "frank" });
    const accounts = await server.server.services.db.selectFrom("external_identities").selectAll().execute();
    expect(accounts.filter((row) => row.subject === "user-42")).toHaveLength(1);
  });

  it("maps concurrent first uses of one subject to one account", async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => issuer.token({ sub: "racer" })));
    await Promise.all(
      tokens.map((token) =>
        fetch(`${server.url}/v1/account/username`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: "{}",
        }),
      ),
    );
    const rows = await server.server.services.db
      .selectFrom("external_identities")
      .selectAll()
      .where("subject", "=", "racer")
      .execute();
    expect(rows).toHaveLength(1);
  });

  it.each([
    ["another audience", () => issuer.token({ sub: "u", aud: "someone-else" })],
    ["another issuer", () => issuer.token({ sub: "u", iss: "https://evil.example" })],
    ["an expired token", () => issuer.token({ sub: "u" }, { expiresIn: "-10m" })],
    [
      "another signing key",
      async () => issuer.token({ sub: "u" }, { key: (await generateKeyPair("ES256")).privateKey }),
    ],
    ["no subject", () => issuer.token({})],
  ])("refuses %s: 2301", async (_name, make) => {
    const pims = await initializedPims(server.url);
    expectFailure(await pims.set(loginWithToken.api, { action: "loginWithToken", token: await make() }), 2301);
  });

  it("refuses an unsigned token (alg none): 2301", async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: "none" })}.${b64({ iss: issuer.issuer, aud: "pims-test", sub: "u", exp: now + 300 })}.`;
    const response = await fetch(`${server.url}/v1/account/username`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}x`, "content-type": "application/json" },
      body: "{}",
    });
    expect((await response.json()).error.code).toBe(2301);
  });
});

describe("without an OpenID Connect issuer", () => {
  it("loginWithToken answers 2344 naming the component", async () => {
    const plain = await startTestServer();
    try {
      const pims = await initializedPims(plain.url);
      expectFailure(
        await pims.set(loginWithToken.api, { action: "loginWithToken", token: await issuer.token({ sub: "u" }) }),
        2344,
        "OpenIdConnect not configured",
      );
    } finally {
      await plain.close();
    }
  });
});
