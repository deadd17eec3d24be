import { verifyAssertion } from "@pims/relying-party";
import { pimsPlugin } from "@pims/relying-party/fastify";
import Fastify from "fastify";
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertionFor, enrolledAccount, publishedKids, rotateAssertionKey } from "../support/assertions.js";
import { expectSuccess } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { TestClock } from "../support/TestClock.js";
import { startTcpProxy } from "../support/tcpProxy.js";

/**
 * Signed step-up assertions through the real SDK, a real server and a relying party's key: the JWS
 * a valid verification carries is checked by `jose` against the published JWK Set and by the kit's
 * WebCrypto `verifyAssertion`, before and after a key rotation (overlap, then the former key gone).
 */
const clock = new TestClock();
let server: TestServer;
let rp: { id: string; key: string };
let account: Awaited<ReturnType<typeof enrolledAccount>>;

beforeAll(async () => {
  server = await startTestServer({ clock, env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url, "assertions-rp");
  account = await enrolledAccount(server.url, "61728394");
});
afterAll(() => server.close());

/** jose's own JWK Set client, as a downstream service would use it; `at` is the verification time. */
function joseVerify(jws: string, at = clock.now()) {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), { cooldownDuration: 0 });
  return jwtVerify(jws, jwks, {
    issuer: server.url,
    audience: rp.id,
    algorithms: ["ES256"],
    typ: "pims-stepup+jwt",
    currentDate: new Date(at),
  });
}

const kitOptions = () => ({ pimsUrl: server.url, audience: rp.id, now: () => clock.now() });

describe("the assertion of a valid verification", () => {
  it("is there only when asked, and carries who proved what, when, for whom", async () => {
    const { otp } = expectSuccess(await account.pims.get("pims.authentication.otp", { action: "withoutPIN" })) as {
      otp: string;
    };
    const plain = await verifyOtp(server.url, rp.key, { otp, accessToken: account.token });
    expect(plain.body.result).toMatchObject({ valid: true });
    expect(plain.body.result).not.toHaveProperty("assertion");

    const { jws, accountId } = await assertionFor(server.url, rp.key, account);
    const { payload, protectedHeader } = await joseVerify(jws);
    expect(protectedHeader).toEqual({
      alg: "ES256",
      kid: (await publishedKids(server.url))[0],
      typ: "pims-stepup+jwt",
    });
    const now = Math.floor(clock.now() / 1000);
    expect(payload).toEqual({
      iss: server.url,
      sub: accountId,
      aud: rp.id,
      iat: now,
      exp: now + 120,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      acr: "pims:possession+knowledge",
      amr: ["swk", "pin", "mfa"],
      auth_time: now,
    });
    expect(payload).not.toHaveProperty("txn");
    await expect(verifyAssertion(jws, kitOptions())).resolves.toEqual(payload);
  });

  it("a service that reaches Pims at another URL than the issuer's names the issuer; without it, refused", async () => {
    const { jws } = await assertionFor(server.url, rp.key, account);
    // The internal route to Pims: another address, the same server.
    const proxy = await startTcpProxy("127.0.0.1", Number(new URL(server.url).port));
    const internalUrl = `http://127.0.0.1:${proxy.port}`;
    try {
      await expect(verifyAssertion(jws, { ...kitOptions(), pimsUrl: internalUrl })).rejects.toMatchObject({
        reason: "issuer",
      });
      await expect(
        verifyAssertion(jws, { ...kitOptions(), pimsUrl: internalUrl, issuer: server.url }),
      ).resolves.toMatchObject({ iss: server.url });
    } finally {
      proxy.cut();
      await proxy.close();
    }
  });

  it("says possession only for an OTP without the PIN; each jti is new", async () => {
    const first = await assertionFor(server.url, rp.key, account, false);
    const second = await assertionFor(server.url, rp.key, account, false);
    const [a, b] = await Promise.all([joseVerify(first.jws), joseVerify(second.jws)]);
    expect(a.payload).toMatchObject({ acr: "pims:possession", amr: ["swk"] });
    expect(a.payload.jti).not.toBe(b.payload.jti);
  });

  it("the JWK Set: public members only, ES256 for signing, cacheable", async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("content-type")).toMatch(/^application\/jwk-set\+json/);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    }
  });
});

describe("a relying party's route hands the assertion to a downstream service", () => {
  it("pimsStepUp({ assertion: true }) puts it on req.pims; the downstream checks it offline", async () => {
    const app = Fastify();
    await app.register(pimsPlugin, { pimsUrl: server.url, apiKey: rp.key });
    app.post("/vehicle/unlock", { preHandler: app.pimsStepUp({ assertion: true }) }, async (request) => ({
      assertion: request.pims?.assertion,
    }));
    const rpUrl = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { otp } = expectSuccess(
        await account.pims.get("pims.authentication.otp", { action: "withPIN", pinCode: account.pin }),
      ) as { otp: string };
      const response = await fetch(`${rpUrl}/vehicle/unlock`, {
        method: "POST",
        headers: { authorization: `Bearer ${account.token}`, "pims-otp": otp },
      });
      expect(response.status).toBe(200);
      const { assertion } = (await response.json()) as { assertion: string };
      const claims = await verifyAssertion(assertion, kitOptions());
      expect(claims).toMatchObject({ aud: rp.id, acr: "pims:possession+knowledge" });
      await expect(joseVerify(assertion)).resolves.toMatchObject({ payload: { jti: claims.jti } });
    } finally {
      await app.close();
    }
  });
});

describe("key rotation, with an overlap", () => {
  it("an assertion signed before still verifies; a new one has the new kid; after the overlap the old kid is gone", async () => {
    const jwksFetches: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      jwksFetches.push(String(input));
      return fetch(input, init);
    };
    const kit = () => ({ ...kitOptions(), fetch: countingFetch });
    // The kit's copy of the JWK Set from the tests above is past its max-age.
    clock.advance(301_000);
    const before = await assertionFor(server.url, rp.key, account);
    const [oldKid, nextKid] = await publishedKids(server.url);
    expect(decodeProtectedHeader(before.jws).kid).toBe(oldKid);
    // The kit fetches the JWK Set once and keeps it for its max-age.
    await verifyAssertion(before.jws, kit());
    expect(jwksFetches).toEqual([`${server.url}/.well-known/jwks.json`]);
    const signedAt = clock.now();

    const { kid, next, retired } = await rotateAssertionKey(server.url);
    expect(retired).toBe(oldKid);
    // The key that signs now was published before the rotation, ready in every cached set.
    expect(kid).toBe(nextKid);
    expect(await publishedKids(server.url)).toEqual([kid, next, oldKid]);

    clock.advance(30_000);
    await expect(joseVerify(before.jws)).resolves.toMatchObject({ protectedHeader: { kid: oldKid } });
    await expect(verifyAssertion(before.jws, kit())).resolves.toMatchObject({ sub: before.accountId });

    const after = await assertionFor(server.url, rp.key, account);
    expect(decodeProtectedHeader(after.jws).kid).toBe(kid);
    await expect(joseVerify(after.jws)).resolves.toMatchObject({ payload: { aud: rp.id } });
    await expect(verifyAssertion(after.jws, kit())).resolves.toMatchObject({ sub: after.accountId });
    expect(jwksFetches).toHaveLength(1);

    // The overlap: 120 s (assertion) + 300 s (JWK Set cache) + 60 s.
    clock.advance(480_000);
    expect(await publishedKids(server.url)).toEqual([kid, next]);
    await server.server.purgeExpired();
    expect(await publishedKids(server.url)).toEqual([kid, next]);
    // Even at a time its exp allows, the old assertion has no key to verify against any more.
    await expect(joseVerify(before.jws, signedAt)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    // The kit's cached copy is past its max-age: fetched again, the set no longer holds the old kid.
    await expect(verifyAssertion(before.jws, kit())).rejects.toMatchObject({ reason: "unknown key" });
    expect(jwksFetches).toHaveLength(2);
  });

  it("a second rotation retires the key the first one activated; the newest active key signs", async () => {
    const first = await rotateAssertionKey(server.url);
    clock.advance(1_000);
    const second = await rotateAssertionKey(server.url);
    expect(second.retired).toBe(first.kid);
    expect(second.kid).toBe(first.next);
    const { jws } = await assertionFor(server.url, rp.key, account);
    expect(decodeProtectedHeader(jws).kid).toBe(second.kid);
    expect((await publishedKids(server.url)).slice(0, 3)).toEqual([second.kid, second.next, first.kid]);
  });
});
