import { createHmac, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { AssertionError, verifyAssertion } from "@pims/relying-party";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertionFor, enrolledAccount, publishedKids } from "../support/assertions.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Signed step-up assertions under attack. A relying party's downstream service trusts an
 * assertion only when Pims signed it, for that relying party, recently; each test opens with what
 * the attacker tries, and shows both the kit's `verifyAssertion` and `jose` refusing it.
 */
const clock = new TestClock();
let server: TestServer;
let bank: { id: string; key: string };
let carMaker: { id: string; key: string };
let victim: Awaited<ReturnType<typeof enrolledAccount>>;

beforeAll(async () => {
  server = await startTestServer({ clock, env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  bank = await createRelyingParty(server.url, "bank");
  carMaker = await createRelyingParty(server.url, "car maker");
  victim = await enrolledAccount(server.url, "69182736");
});
afterAll(() => server.close());

const kit = (audience: string, fetchImpl: typeof fetch = fetch) => ({
  pimsUrl: server.url,
  audience,
  now: () => clock.now(),
  fetch: fetchImpl,
});

function jose(jws: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), { cooldownDuration: 0 });
  return jwtVerify(jws, jwks, {
    issuer: server.url,
    audience,
    algorithms: ["ES256"],
    typ: "pims-stepup+jwt",
    currentDate: new Date(clock.now()),
  });
}

const b64 = (value: object | Buffer) =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString("base64url");
const partsOf = (jws: string) => {
  const [header = "", claims = "", signature = ""] = jws.split(".");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, "base64url").toString()) as Record<string, unknown>,
    signature,
  };
};
const es256 = (header: object, claims: object, key: KeyObject) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
};

describe("the audience", () => {
  it("an insider at the bank replays the victim's bank assertion to the car maker's service to unlock the car: refused", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    await expect(verifyAssertion(jws, kit(bank.id))).resolves.toMatchObject({ aud: bank.id });
    await expect(verifyAssertion(jws, kit(carMaker.id))).rejects.toMatchObject({ reason: "audience" });
    await expect(jose(jws, carMaker.id)).rejects.toMatchObject({
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      claim: "aud",
    });
  });

  it("the attacker rewrites aud to the car maker and keeps the bank's signature: refused (signature)", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    const { header, claims, signature } = partsOf(jws);
    const forged = `${b64(header)}.${b64({ ...claims, aud: carMaker.id })}.${signature}`;
    await expect(verifyAssertion(forged, kit(carMaker.id))).rejects.toMatchObject({ reason: "signature" });
    await expect(jose(forged, carMaker.id)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });
});

describe("time", () => {
  it("the attacker keeps an assertion and presents it after its 120 s: refused (expired)", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    clock.advance(120_000 + 31_000);
    await expect(verifyAssertion(jws, kit(bank.id))).rejects.toMatchObject({ reason: "expired" });
    await expect(jose(jws, bank.id)).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
  });
});

describe("changed claims", () => {
  it("the attacker upgrades a possession-only assertion to possession+knowledge, or to another account: refused", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim, false);
    const { header, claims, signature } = partsOf(jws);
    expect(claims.acr).toBe("pims:possession");
    const changes = [
      { acr: "pims:possession+knowledge", amr: ["swk", "pin", "mfa"] },
      { sub: "acc_someone_else" },
      { exp: Number(claims.exp) + 3600 },
      { txn: "digest-of-another-transaction" },
    ];
    for (const change of changes) {
      const forged = `${b64(header)}.${b64({ ...claims, ...change })}.${signature}`;
      await expect(verifyAssertion(forged, kit(bank.id))).rejects.toMatchObject({ reason: "signature" });
      await expect(jose(forged, bank.id)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
    }
  });
});

describe("algorithm confusion", () => {
  it('the attacker sends alg "none" with no signature, or HS256 keyed with the published public key: refused', async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    const { header, claims } = partsOf(jws);
    const elevated = { ...claims, sub: "acc_attacker_target" };
    const none = `${b64({ ...header, alg: "none" })}.${b64(elevated)}.`;
    const publicJwk = JSON.stringify(
      ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] }).keys[0],
    );
    const hsInput = `${b64({ ...header, alg: "HS256" })}.${b64(elevated)}`;
    const hs256 = `${hsInput}.${createHmac("sha256", publicJwk).update(hsInput).digest("base64url")}`;
    for (const [forged, alg] of [
      [none, "none"],
      [hs256, "HS256"],
    ] as const) {
      const refusal = await verifyAssertion(forged, kit(bank.id)).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(AssertionError);
      expect(refusal).toMatchObject({ reason: "algorithm", message: expect.stringContaining(`alg ${alg}, not ES256`) });
      await expect(jose(forged, bank.id)).rejects.toMatchObject({ code: "ERR_JOSE_ALG_NOT_ALLOWED" });
    }
  });

  it("the attacker relabels the JWS as another type (typ JWT) to have it taken for an access token: refused", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    const { header, claims, signature } = partsOf(jws);
    const relabelled = `${b64({ ...header, typ: "JWT" })}.${b64(claims)}.${signature}`;
    await expect(verifyAssertion(relabelled, kit(bank.id))).rejects.toMatchObject({ reason: "type" });
  });
});

describe("keys Pims did not publish", () => {
  it("the attacker signs with a key of their own under a kid Pims never published: refused, and the kit's fetches stay bounded", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    const { header, claims } = partsOf(jws);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const fetches: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetches.push(String(input));
      return fetch(input, init);
    };
    // The kit holds a fresh copy of the JWK Set.
    clock.advance(301_000);
    await verifyAssertion((await assertionFor(server.url, bank.key, victim)).jws, kit(bank.id, counting));
    expect(fetches).toHaveLength(1);
    clock.advance(10_000);
    // Twenty at once, then twenty more one after the other.
    const forgeries = Array.from({ length: 40 }, (_, i) =>
      es256({ ...header, kid: `attacker-${i}` }, claims, privateKey),
    );
    const atOnce = await Promise.allSettled(
      forgeries.slice(0, 20).map((f) => verifyAssertion(f, kit(bank.id, counting))),
    );
    expect(atOnce.map((r) => (r.status === "rejected" ? (r.reason as AssertionError).reason : "verified"))).toEqual(
      Array(20).fill("unknown key"),
    );
    for (const forged of forgeries.slice(20)) {
      await expect(verifyAssertion(forged, kit(bank.id, counting))).rejects.toMatchObject({ reason: "unknown key" });
    }
    // One refetch, shared by the twenty at once; none for the others within the refetch interval.
    expect(fetches).toHaveLength(2);
    const forged = es256({ ...header, kid: "attacker-0" }, claims, privateKey);
    await expect(jose(forged, bank.id)).rejects.toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
  });

  it("the attacker signs with their own key under Pims' published kid: refused (signature)", async () => {
    const { jws } = await assertionFor(server.url, bank.key, victim);
    const { header, claims } = partsOf(jws);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const forged = es256(header, claims, privateKey);
    await expect(verifyAssertion(forged, kit(bank.id))).rejects.toMatchObject({ reason: "signature" });
    await expect(jose(forged, bank.id)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });
});

describe("the signing key stays in the server's keyring", () => {
  it("the attacker reads the JWK Set, the database and the logs for a private key: only public members and sealed blobs", async () => {
    const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    for (const key of keys) expect(key).not.toHaveProperty("d");
    const rows = await server.server.services.db
      .selectFrom("assertion_keys")
      .select(["kid", "public_jwk", "sealed_private_key", "key_id"])
      .execute();
    expect(rows.map((row) => row.kid)).toEqual(expect.arrayContaining(await publishedKids(server.url)));
    const logs = server.logs.join("\n");
    for (const row of rows) {
      expect(JSON.parse(row.public_jwk)).not.toHaveProperty("d");
      // Opened with the server's own keyring (what the attacker lacks), the blob is the private key…
      const der = server.server.services.keyring.open("assertion-key", row.sealed_private_key, row.kid, row.key_id);
      expect(der).toBeInstanceOf(Buffer);
      const { d } = createPrivateKey({ key: der as Buffer, format: "der", type: "pkcs8" }).export({ format: "jwk" });
      // …and neither the blob nor the logs hold it in the clear, in any usual encoding.
      for (const clear of [d as string, (der as Buffer).toString("base64url"), (der as Buffer).toString("base64")]) {
        expect(row.sealed_private_key).not.toContain(clear);
        expect(logs).not.toContain(clear);
      }
      // Sealed to its kid: moved onto another row, it does not open.
      const other = rows.find((candidate) => candidate.kid !== row.kid);
      if (other) {
        expect(
          server.server.services.keyring.open("assertion-key", row.sealed_private_key, other.kid, row.key_id),
        ).toBeUndefined();
      }
    }
    expect(rows.length).toBeGreaterThanOrEqual(2);
  });
});
