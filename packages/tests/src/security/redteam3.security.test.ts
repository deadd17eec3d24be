import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { canonicalTransaction, otpWithoutPin, otpWithPin } from "@pims/protocol";
import { checkStepUp, createVerifier, PimsUnavailableError, verifyAssertion } from "@pims/relying-party";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { listenOnLoopback } from "../support/listen.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

/**
 * A third red-team pass, over transaction signing (decision 0025) and signed step-up assertions
 * (decision 0026), issue 17 items 2 and 3. Each test opens with the attack. Those that failed on
 * the code they were written against (c44a69f) say so; the others show an idea refuted.
 */

let server: TestServer;
let rp: { id: string; key: string };

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url, "redteam3-rp");
});
afterAll(() => server.close());

/** A user enrolled with the shortcut (S5, S11): the facade, its store, the PIN and the session's token. */
async function enrolledUser(): Promise<{ pims: Pims; store: PimsStore; pin: string; token: string }> {
  const store = memoryStore();
  const { pims } = await loggedInPims(server.url, store);
  const { pin } = await enrollWithShortcut(server.url, pims, "58203746");
  return { pims, store, pin, token: await accessToken(pims) };
}

/** An S16 OTP (S15 with `pin`) for `transaction`. */
async function otpFor(user: { pims: Pims }, transaction: object, pin?: string): Promise<string> {
  const answer =
    pin === undefined
      ? await user.pims.get(otpWithoutPin.api, { action: "withoutPIN", transaction })
      : await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, transaction });
  return (expectSuccess(answer) as { otp: string }).otp;
}

/** The assertion of an S15 OTP (bound to `transaction`, when given), verified by the test's relying party. */
async function assertionOf(user: { pims: Pims; pin: string; token: string }, transaction?: object): Promise<string> {
  const otp =
    transaction === undefined
      ? (
          expectSuccess(await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: user.pin })) as {
            otp: string;
          }
        ).otp
      : await otpFor(user, transaction, user.pin);
  const { body } = await verifyOtp(server.url, rp.key, {
    otp,
    accessToken: user.token,
    assertion: "jws",
    ...(transaction ? { transaction } : {}),
  });
  return body.result?.assertion ?? "";
}

/** `header.claims` (base64url parts) signed ES256 by `key`: a compact JWS. */
function es256(input: string, key: KeyObject): string {
  return `${input}.${sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

const digestOf = (transaction: object) =>
  createHash("sha256")
    .update(canonicalTransaction(transaction) ?? "")
    .digest("base64url");

describe("what the user is shown is what is signed", () => {
  it("a merchant (or whoever writes the basket) names the payee 'Ionity\\u200b GmbH', with an invisible character, so the user approves what reads as the genuine payee 'Ionity GmbH': text an app cannot show must be refused like bidirectional marks (failed on c44a69f: accepted and signed)", async () => {
    const user = await enrolledUser();
    // Zero-width space, word joiner, byte-order mark, soft hyphen, Mongolian vowel separator,
    // combining grapheme joiner, a variation selector, a Hangul filler, a tag letter: each renders as nothing.
    const invisibles = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f", "\ufe00", "\u3164", "\u{e0041}"];
    for (const invisible of invisibles) {
      const disguised = { type: "payment", amount: 1999, currency: "EUR", payee: `Ionity${invisible} GmbH` };
      const label = `U+${invisible.codePointAt(0)?.toString(16)}`;
      // One function says what a transaction is, for the SDK, the server and the kit alike.
      expect(canonicalTransaction(disguised), label).toBeUndefined();
      expect(canonicalTransaction({ type: "payment", [`pay${invisible}ee`]: "Ionity GmbH" }), label).toBeUndefined();
      // The app's request is refused before anything is signed or sent…
      expectFailure(await user.pims.get(otpWithoutPin.api, { action: "withoutPIN", transaction: disguised }), 2102);
      // …and the server refuses it too (an older SDK, another client), here at verification.
      const { status, body } = await verifyOtp(server.url, rp.key, {
        otp: "12345678",
        accessToken: user.token,
        transaction: disguised,
      });
      expect([status, body.error?.code], label).toEqual([400, 2102]);
    }
    // The visible payee still goes through.
    const genuine = { type: "payment", amount: 1999, currency: "EUR", payee: "Ionity GmbH" };
    const { body } = await verifyOtp(server.url, rp.key, {
      otp: await otpFor(user, genuine),
      accessToken: user.token,
      transaction: genuine,
    });
    expect(body.result?.transaction?.canonical).toBe(canonicalTransaction(genuine));
  });

  it("a relying party (or a hand-written client) sends the transaction as JSON text its own writer made — members reordered, 1e2 for 100, escapes, a duplicate member — hoping Pims reads another transaction than it matches: Pims reads one (the last duplicate, as JSON.parse), and the evidence names it (refuted)", async () => {
    const user = await enrolledUser();
    const signed = { type: "payment", amount: 100, payee: "Ionity GmbH", order: { id: "A-17" } };
    const raw = (transaction: string) =>
      fetch(`${server.url}/v1/rp/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${rp.key}`, "content-type": "application/json" },
        body: `{"otp":"${otp}","accessToken":"${user.token}","transaction":${transaction}}`,
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    let otp = await otpFor(user, signed);
    // Not the signed transaction: the OTP stays live through each of these.
    for (const other of [
      '{"type":"payment","amount":100,"payee":"Ionity GmbH","order":{"id":"A-17"},"amount":1}',
      '{"type":"payment","amount":9007199254740993,"payee":"Ionity GmbH","order":{"id":"A-17"}}',
      '{"type":"payment","amount":100.5,"payee":"Ionity GmbH","order":{"id":"A-17"}}',
      '{"type":"payment","amount":100,"payee":"Ionity GmbH","order":{"id":"A-17","__proto__":{"id":"B-99"}}}',
      '{"type":"payment","amount":100,"payee":"Ionity GmbH","order":{"id":"A-17"},"constructor":{"prototype":{"x":"y"}}}',
      '{"type":"payment","amount":100,"payee":"Ionity GmbH","order":{"id":"A-17"},"extra":"x"}',
    ]) {
      const { status, body } = await raw(other);
      expect(status === 200 ? body.result : body.error?.code, other).toEqual(status === 200 ? { valid: false } : 2102);
    }
    // The same transaction in other words verifies, and the evidence holds its one canonical text.
    for (const same of [
      '{"order":{"id":"A-17"},"payee":"Ionity GmbH","amount":1e2,"type":"payment"}',
      '{"type":"pay\\u006dent","amount":100.0,"payee":"\\u0049onity GmbH","order":{"id":"A-17"}}',
      '{"type":"payment","amount":1,"payee":"Ionity GmbH","order":{"id":"A-17"},"amount":100}',
    ]) {
      const { body } = await raw(same);
      expect(body.result?.valid, same).toBe(true);
      expect(body.result?.transaction?.canonical).toBe(canonicalTransaction(signed));
      otp = await otpFor(user, signed);
    }
  });
});

describe("one signed request, one OTP", () => {
  it("the attacker records the device's signed S15 request for a transaction and sends it ten times at once, to get more OTPs for it: one OTP, the others 2311 (refuted)", async () => {
    const user = await enrolledUser();
    const unlock = { type: "vehicle.unlock", vin: "VF3LCYHZPHS123456" };
    let captured: { url: string; init: RequestInit } | undefined;
    const recorder = createPims();
    expectSuccess(
      await recorder.initialize({
        serverUrl: server.url,
        store: user.store,
        fetch: async (input, init) => {
          if (String(input).includes("/v1/otp/")) {
            captured = { url: String(input), init: init ?? {} };
            throw new TypeError("recorded, not sent");
          }
          return fetch(input, init);
        },
      }),
    );
    expectFailure(
      await recorder.get(otpWithPin.api, { action: "withPIN", pinCode: user.pin, transaction: unlock }),
      2202,
    );
    if (!captured) throw new Error("nothing recorded");
    const { url, init } = captured;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(url, init).then(
          (response) => response.json() as Promise<{ result?: { otp: string }; error?: { code: number } }>,
        ),
      ),
    );
    const otps = answers.flatMap((answer) => (answer.result ? [answer.result.otp] : []));
    expect(otps).toHaveLength(1);
    expect(answers.filter((answer) => answer.error?.code === 2311)).toHaveLength(9);
    const { body } = await verifyOtp(server.url, rp.key, {
      otp: otps[0] ?? "",
      accessToken: user.token,
      transaction: unlock,
    });
    expect(body.result?.valid).toBe(true);
  });

  it("the attacker holds the device but not the PIN: an S16 OTP for the transaction, with valid evidence, presented at a route that demands the PIN: 2302 (refuted)", async () => {
    const user = await enrolledUser();
    const unlock = { type: "vehicle.unlock", vin: "VF3LCYHZPHS654321" };
    const otp = await otpFor(user, unlock);
    const verify = createVerifier({ pimsUrl: server.url, apiKey: rp.key });
    const outcome = await checkStepUp({}, { authorization: `Bearer ${user.token}`, "pims-otp": otp }, verify, {
      transaction: () => unlock,
      acr: "pims:possession+knowledge",
    });
    expect(outcome.ok ? "passed" : outcome.refusal.body.error.code).toBe(2302);
  });
});

describe("a route protected by its transaction", () => {
  it("a relying party's transaction builder comes out undefined for a request (the body parsed after the middleware, a field renamed): a plain OTP, asked for no transaction, must not pass a route protected by its transaction, and is not spent (failed on c44a69f: the route ran)", async () => {
    const user = await enrolledUser();
    const otp = (expectSuccess(await user.pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string })
      .otp;
    const verify = createVerifier({ pimsUrl: server.url, apiKey: rp.key });
    // As a relying party in JavaScript writes it: no compiler says it may answer undefined.
    const transaction = ((request: { body?: { vin?: string } }) =>
      request.body?.vin === undefined
        ? undefined
        : { type: "vehicle.unlock", vin: request.body.vin }) as unknown as (request: {
      body?: { vin?: string };
    }) => object;
    const outcome = checkStepUp({}, { authorization: `Bearer ${user.token}`, "pims-otp": otp }, verify, {
      transaction,
    });
    await expect(outcome).rejects.toThrow(TypeError);
    const { body } = await verifyOtp(server.url, rp.key, { otp, accessToken: user.token });
    expect(body.result?.valid).toBe(true);
  });

  it("the attacker presents an OTP the user asked for an unlock at a route of the same relying party that names no transaction (the kit without the option): 2302, and the OTP still serves its unlock (refuted)", async () => {
    const user = await enrolledUser();
    const unlock = { type: "vehicle.unlock", vin: "VF3LCYHZPHS333333" };
    const otp = await otpFor(user, unlock, user.pin);
    const verify = createVerifier({ pimsUrl: server.url, apiKey: rp.key });
    const headers = { authorization: `Bearer ${user.token}`, "pims-otp": otp };
    const elsewhere = await checkStepUp({}, headers, verify, { acr: "pims:possession+knowledge" });
    expect(elsewhere.ok ? "passed" : elsewhere.refusal.body.error.code).toBe(2302);
    const intended = await checkStepUp({}, headers, verify, { transaction: () => unlock });
    expect(intended.ok && intended.stepUp.transaction?.canonical).toBe(canonicalTransaction(unlock));
  });

  it('the demo\'s own protected unlock, sent with no VIN (or one that is not a VIN) and an OTP with the PIN asked for no transaction: refused, and the OTP is not spent (failed on c44a69f: 200, unlocked "")', async () => {
    const user = await enrolledUser();
    const otp = (
      expectSuccess(await user.pims.get(otpWithPin.api, { action: "withPIN", pinCode: user.pin })) as { otp: string }
    ).otp;
    for (const body of ["{}", '{"vin":""}', '{"vin":"not a VIN"}']) {
      const response = await fetch(`${server.url}/demo/api/unlock`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "pims-otp": otp, "content-type": "application/json" },
        body,
      });
      const answer = (await response.json()) as { status: string; error?: { code: number } };
      expect([response.status, answer.error?.code], body).toEqual([400, 2102]);
    }
    const { body } = await verifyOtp(server.url, rp.key, { otp, accessToken: user.token });
    expect(body.result?.valid).toBe(true);
  });
});

describe("the kit's own check of the evidence", () => {
  it("whoever can answer the relying party's verify call in Pims' place (a copy of the otps table and a position on the network) replays the evidence of yesterday's approval of the same unlock: the kit's check must not take a day-old device signature for this request's (failed on c44a69f: the route ran)", async () => {
    const user = await enrolledUser();
    const unlock = { type: "vehicle.unlock", vin: "VF3LCYHZPHS777777" };
    const otp = await otpFor(user, unlock, user.pin);
    const recorded = await createVerifier({ pimsUrl: server.url, apiKey: rp.key })({
      otp,
      accessToken: user.token,
      transaction: unlock,
    });
    expect(recorded.valid).toBe(true);
    const replaying = async () => recorded;
    const headers = { authorization: `Bearer ${user.token}`, "pims-otp": "87654321" };
    const options = { transaction: () => unlock, acr: "pims:possession+knowledge" as const };
    // Right away, the recorded answer is what Pims said, and passes.
    const now = await checkStepUp({}, headers, replaying, options);
    expect(now.ok).toBe(true);
    // A day later, the same answer, replayed: its device signature is a day old.
    const later = await checkStepUp({}, headers, replaying, { ...options, now: () => Date.now() + 86_400_000 });
    expect(later.ok ? "passed" : later.refusal.body.error.code).toBe(2302);
    // Dated in the future beyond the device skew Pims accepts: not this request's either.
    const earlier = await checkStepUp({}, headers, replaying, { ...options, now: () => Date.now() - 3_600_000 });
    expect(earlier.ok ? "passed" : earlier.refusal.body.error.code).toBe(2302);
  });
});

describe("assertions say what was approved", () => {
  it("the car maker's gateway (the hop downstream services must not trust) holds the user's assertion for unlocking car A, or one for a plain step-up, and presents it to the service that unlocks car B: the kit must be able to refuse an assertion whose txn is not the command's (failed on c44a69f: verifyAssertion had no way to check txn)", async () => {
    const user = await enrolledUser();
    const carA = { type: "vehicle.unlock", vin: "VF3LCYHZPHS111111" };
    const carB = { type: "vehicle.unlock", vin: "VF3LCYHZPHS222222" };
    const kit = { pimsUrl: server.url, audience: rp.id };
    const forA = await assertionOf(user, carA);
    const plain = await assertionOf(user);
    await expect(verifyAssertion(forA, { ...kit, transaction: carA })).resolves.toMatchObject({ txn: digestOf(carA) });
    // Member order does not matter: the canonical forms are compared.
    await expect(
      verifyAssertion(forA, { ...kit, transaction: { vin: carA.vin, type: carA.type } }),
    ).resolves.toBeDefined();
    await expect(verifyAssertion(forA, { ...kit, transaction: carB })).rejects.toMatchObject({ reason: "transaction" });
    await expect(verifyAssertion(plain, { ...kit, transaction: carB })).rejects.toMatchObject({
      reason: "transaction",
    });
    // A route's transaction that is not one is the route's mistake, not a pass.
    await expect(
      verifyAssertion(forA, { ...kit, transaction: { type: "vehicle.unlock", amount: 1.5 } }),
    ).rejects.toThrow(TypeError);
  });

  it("the attacker embeds their own key in the header (jwk), points jku or x5u at a JWK Set of theirs and picks a kid of their own, to have the kit fetch and cache their key: refused (unknown key), and the kit fetches only Pims' JWK Set (refuted)", async () => {
    const user = await enrolledUser();
    const claimsPart = (await assertionOf(user)).split(".")[1] ?? "";
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: "attacker", alg: "ES256", use: "sig" };
    const attackerSet = "http://attacker.test/jwks.json";
    const header = { alg: "ES256", typ: "pims-stepup+jwt", kid: "attacker", jwk, jku: attackerSet, x5u: attackerSet };
    const forged = es256(`${Buffer.from(JSON.stringify(header)).toString("base64url")}.${claimsPart}`, privateKey);
    const fetched: string[] = [];
    const watching: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return String(input).startsWith(server.url)
        ? fetch(input, init)
        : Promise.resolve(
            new Response(JSON.stringify({ keys: [jwk] }), { headers: { "content-type": "application/json" } }),
          );
    };
    const kit = { pimsUrl: server.url, audience: rp.id, fetch: watching, refetchIntervalMs: 0 };
    for (let i = 0; i < 3; i++)
      await expect(verifyAssertion(forged, kit)).rejects.toMatchObject({ reason: "unknown key" });
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((url) => url === `${server.url}/.well-known/jwks.json`)).toBe(true);
  });

  it("a proxy or CDN in front of Pims drops Cache-Control from the JWK Set (or says no-store), and the attacker posts junk assertions under Pims' own kid: the kit must still fetch the set at most once per refetch interval (failed on c44a69f: one fetch per junk assertion)", async () => {
    const user = await enrolledUser();
    const jws = await assertionOf(user);
    const [headerPart = "", claimsPart = ""] = jws.split(".");
    const forged = es256(`${headerPart}.${claimsPart}`, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
    for (const cacheControl of [undefined, "no-store", "max-age=0"]) {
      let fetches = 0;
      // Its own name for Pims, so that no other test's cached set is used.
      const pimsUrl = `http://pims-behind-a-proxy-${cacheControl ?? "none"}.test`;
      const proxy: typeof fetch = async () => {
        fetches += 1;
        const response = await fetch(`${server.url}/.well-known/jwks.json`);
        const headers = new Headers({ "content-type": "application/json" });
        if (cacheControl) headers.set("cache-control", cacheControl);
        return new Response(await response.text(), { status: response.status, headers });
      };
      const now = Date.now();
      const kit = { pimsUrl, issuer: server.url, audience: rp.id, fetch: proxy, now: () => now };
      await expect(verifyAssertion(jws, kit)).resolves.toMatchObject({ aud: rp.id });
      for (let i = 0; i < 20; i++)
        await expect(verifyAssertion(forged, kit)).rejects.toMatchObject({ reason: "signature" });
      expect(fetches, String(cacheControl)).toBe(1);
    }
  });

  it("an attacker who controls a hop of the kit's way to Pims (a proxy, an open redirect) answers the JWK Set request with a redirect to a set of their own: the kit must not follow it (failed before: fetch followed redirects)", async () => {
    const user = await enrolledUser();
    const jws = await assertionOf(user);
    const redirector = await listenOnLoopback((_request, response) => {
      // Here to Pims' real set: had the kit followed, it would verify; it must fail closed instead.
      response.writeHead(302, { location: `${server.url}/.well-known/jwks.json` }).end();
    });
    try {
      const kit = { pimsUrl: redirector.url, issuer: server.url, audience: rp.id };
      await expect(verifyAssertion(jws, kit)).rejects.toBeInstanceOf(PimsUnavailableError);
    } finally {
      await redirector.close();
    }
  });
});
