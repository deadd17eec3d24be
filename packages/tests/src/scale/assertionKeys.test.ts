import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, it } from "vitest";
import { assertionFor, enrolledAccount, publishedKids, rotateAssertionKey } from "../support/assertions.js";
import { CLUSTER_ENGINES, type Cluster, startCluster } from "../support/cluster.js";
import { createRelyingParty } from "../support/relyingParty.js";

/**
 * Assertion keys across processes sharing one database: processes started at the same moment on
 * an empty database agree on one active key and one next key; an assertion made by one process
 * verifies against the JWK Set of another; a rotation through one is what every process signs
 * with within seconds.
 *
 * The engines' clusters run side by side (a concurrent describe each), their two tests in order:
 * most of a block is waiting for the signers' five-second key reuse to run out.
 */
describe.concurrent.each(CLUSTER_ENGINES)("three processes sharing %s", (engine) => {
  let cluster: Cluster;
  beforeAll(async () => {
    // The console provider: each process's /dev/sms inbox has the codes it sent.
    cluster = await startCluster(engine, 3, { PIMS_SMS_PROVIDER: "console" }, true);
  }, 60_000);
  afterAll(() => cluster?.close());

  it.sequential("started together on an empty database: one active and one next key, the same JWK Set everywhere", async ({
    expect,
  }) => {
    const sets = await Promise.all(cluster.urls.map(publishedKids));
    expect(sets[0]).toHaveLength(2);
    expect(sets[1]).toEqual(sets[0]);
    expect(sets[2]).toEqual(sets[0]);
  });

  it.sequential("an assertion from one process verifies against another's JWK Set; a rotation reaches every signer", async ({
    expect,
  }) => {
    const [first = "", second = "", third = ""] = cluster.urls;
    const rp = await createRelyingParty(first, `cluster-${engine}`);
    const account = await enrolledAccount(first, "73914682");
    const verifyAt = (url: string, jws: string) =>
      jwtVerify(jws, createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)), { issuer: first, audience: rp.id });
    // Each process's issuer is its own URL in development (no PIMS_PUBLIC_URL): verify against the first.
    const { jws } = await assertionFor(first, rp.key, account);
    await expect(verifyAt(second, jws)).resolves.toMatchObject({ payload: { aud: rp.id } });

    const { kid } = await rotateAssertionKey(third);
    const deadline = Date.now() + 15_000;
    let signedWith: string | undefined;
    while (Date.now() < deadline) {
      signedWith = decodeProtectedHeader((await assertionFor(first, rp.key, account)).jws).kid;
      if (signedWith === kid) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(signedWith).toBe(kid);
    expect((await publishedKids(second))[0]).toBe(kid);
  }, 60_000);
});
