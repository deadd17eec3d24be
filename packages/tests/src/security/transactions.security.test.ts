import { webcrypto } from "node:crypto";
import { canonicalTransaction, type TransactionEvidence, transactionSigningString } from "@pims/protocol";
import { verifyTransactionEvidence } from "@pims/relying-party";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollAnotherDevice, enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { storedDeviceId, storedSession } from "../support/stores.js";

/**
 * Transaction signatures under attack (decision 0025). A device signs, with its enrolled key, a
 * string naming the account, the device, the request (timestamp, nonce) and the digest of the
 * canonical transaction; the server checks it before issuing, and the relying party gets it as
 * evidence. Each test opens with what the attacker tries.
 *
 * To pin each binding on its own, some tests craft signatures with the device's own key (the
 * CryptoKey the SDK signs with, taken from its WebCrypto): the crafted signature is right in all
 * but the one line under test, and the same craft with that line right is accepted.
 */
const OTP = "pims.authentication.otp";
const SIGNATURE_HEADER = "pims-transaction-signature";
let server: TestServer;
let rp: { key: string };
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: "admin-key-for-tests-0123456789abcdef" } });
  rp = await createRelyingParty(server.url);
});
afterAll(() => server.close());

const unlock = { type: "vehicle.unlock", vin: "VF3LCYHZPHS123456" };
const payment = { type: "payment", amount: 1999, currency: "EUR", payee: "Ionity GmbH" };

/** What a request to S15/S16 carries, and what a test may put instead of its transaction signature. */
type Rewrite = (request: { headers: Record<string, string>; body: string }) => string | undefined;

interface Device {
  readonly pims: Pims;
  readonly store: PimsStore;
  readonly login: string;
  readonly pin: string;
  readonly phone: { e164: string };
  /** The private key the SDK signs with (not extractable; usable to sign). */
  key(): CryptoKey;
  accountId(): Promise<string>;
  deviceId(): Promise<string>;
  /** The next S15/S16 requests carry what `rewrite` returns as transaction signature (none when undefined). */
  rewrite(next: Rewrite | undefined): void;
  /** The transaction signature of the last S15/S16 request, as the SDK made it. */
  lastSignature(): string | undefined;
}

/** A facade whose WebCrypto lends the test its signing key, and whose S15/S16 requests a test may rewrite. */
async function device(account?: { login: string; pin: string; phone: { e164: string } }): Promise<Device> {
  let key: CryptoKey | undefined;
  let rewrite: Rewrite | undefined;
  let last: string | undefined;
  const subtle = new Proxy(webcrypto.subtle, {
    get(target, name) {
      if (name === "sign") {
        return (algorithm: EcdsaParams, signingKey: CryptoKey, data: Uint8Array) => {
          key = signingKey;
          return target.sign(algorithm, signingKey, data);
        };
      }
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const intercepting: typeof fetch = async (input, init) => {
    if (!String(input).includes("/v1/otp/")) return fetch(input, init);
    const headers = { ...(init?.headers as Record<string, string>) };
    last = headers[SIGNATURE_HEADER];
    if (rewrite) {
      const replaced = rewrite({ headers, body: String(init?.body) });
      delete headers[SIGNATURE_HEADER];
      if (replaced !== undefined) headers[SIGNATURE_HEADER] = replaced;
    }
    return fetch(input, { ...init, headers });
  };
  const store = memoryStore();
  const pims = createPims();
  const crypto = { getRandomValues: (array: Uint8Array) => webcrypto.getRandomValues(array), subtle };
  expectSuccess(await pims.initialize({ serverUrl: server.url, store, fetch: intercepting, crypto }));
  const login = account?.login ?? `tx-${Math.random().toString(36).slice(2)}@example.com`;
  const user = account ? "login" : "createAccount";
  expectSuccess(await pims.set("pims.authentication.user", { action: user, login, password: "transactions-pw" }));
  let pin = account?.pin ?? "";
  let phone = account?.phone ?? { e164: "" };
  if (account) await enrollAnotherDevice(server.url, pims, account.phone, account.pin);
  else ({ pin, phone } = await enrollWithShortcut(server.url, pims, "62738495"));
  return {
    pims,
    store,
    login,
    pin,
    phone,
    key: () => key as CryptoKey,
    accountId: async () => (await storedSession(store)).accountId,
    deviceId: () => storedDeviceId(store),
    rewrite: (next) => {
      rewrite = next;
    },
    lastSignature: () => last,
  };
}

const tokenOf = async (d: Device) =>
  (
    expectSuccess(await d.pims.get("pims.authentication.token", { type: "customerAt", action: "get" })) as {
      token: string;
    }
  ).token;

/** An S16 OTP of `d` with these parameters. */
const otpOf = async (d: Device, params: Record<string, unknown>) =>
  (expectSuccess(await d.pims.get(OTP, { action: "withoutPIN", ...params })) as { otp: string }).otp;

/** The evidence a relying party gets when it verifies `otp` for `transaction`. */
async function evidenceFor(otp: string, accessToken: string, transaction: object): Promise<TransactionEvidence> {
  const { result } = (await verifyOtp(server.url, rp.key, { otp, accessToken, transaction })).body;
  if (!result?.transaction) throw new Error(`no evidence: ${JSON.stringify(result)}`);
  return result.transaction;
}

const digestOf = async (transaction: object) =>
  Buffer.from(
    await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalTransaction(transaction))),
  ).toString("base64url");

/** A transaction signature by `key` over the string for this request, with the parts given. */
async function craft(
  key: CryptoKey,
  request: { headers: Record<string, string> },
  parts: { accountId: string; deviceId: string; transaction: object },
): Promise<string> {
  const text = transactionSigningString({
    accountId: parts.accountId,
    deviceId: parts.deviceId,
    timestamp: request.headers["pims-timestamp"] ?? "",
    nonce: request.headers["pims-nonce"] ?? "",
    transactionDigest: await digestOf(parts.transaction),
  });
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    new TextEncoder().encode(text),
  );
  return Buffer.from(signature).toString("base64url");
}

/**
 * The request the SDK makes for `params` (captured, not sent), with its transaction signature
 * replaced by one crafted for its own timestamp and nonce; then sent.
 */
async function sendCrafted(
  d: Device,
  params: Record<string, unknown>,
  signatureFor: (request: { headers: Record<string, string> }) => Promise<string>,
) {
  let captured: { url: string; headers: Record<string, string>; body: string } | undefined;
  const catcher = createPims();
  expectSuccess(
    await catcher.initialize({
      serverUrl: server.url,
      store: d.store,
      crypto: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a), subtle: webcrypto.subtle },
      fetch: async (input, init) => {
        if (String(input).includes("/v1/otp/")) {
          captured = {
            url: String(input),
            headers: { ...(init?.headers as Record<string, string>) },
            body: String(init?.body),
          };
          throw new TypeError("intercepted");
        }
        return fetch(input, init);
      },
    }),
  );
  expectFailure(await catcher.get(OTP, params), 2202);
  if (!captured) throw new Error("nothing captured");
  const headers = { ...captured.headers, [SIGNATURE_HEADER]: await signatureFor(captured) };
  const response = await fetch(captured.url, { method: "POST", headers, body: captured.body });
  return (await response.json()) as { status: string; result?: { otp: string }; error?: { code: number } };
}

describe("a transaction signature replayed on another transaction", () => {
  it("the attacker attaches a signature the device made for one transaction to a request for another: 2311", async () => {
    const victim = await device();
    expectSuccess(await victim.pims.get(OTP, { action: "withPIN", pinCode: victim.pin, transaction: unlock }));
    const captured = victim.lastSignature();
    expect(captured).toMatch(/^[A-Za-z0-9_-]{86}$/);
    victim.rewrite(() => captured);
    expectFailure(
      await victim.pims.get(OTP, {
        action: "withPIN",
        pinCode: victim.pin,
        transaction: { ...unlock, type: "vehicle.start" },
      }),
      2311,
    );
    // Even for the very same transaction: the signature names the request it came with.
    expectFailure(await victim.pims.get(OTP, { action: "withPIN", pinCode: victim.pin, transaction: unlock }), 2311);
  });

  it("the attacker makes the device's key sign this very request but for another transaction: 2311 (the same craft for this transaction passes)", async () => {
    const victim = await device();
    expectSuccess(await victim.pims.get(OTP, { action: "withoutPIN" })); // lends the test the device key
    const parts = { accountId: await victim.accountId(), deviceId: await victim.deviceId() };
    const params = { action: "withoutPIN", transaction: payment };
    const other = await sendCrafted(victim, params, (r) =>
      craft(victim.key(), r, { ...parts, transaction: { ...payment, amount: 1998 } }),
    );
    expect(other.error?.code).toBe(2311);
    const same = await sendCrafted(victim, params, (r) => craft(victim.key(), r, { ...parts, transaction: payment }));
    expect(same.status).toBe("SUCCEEDED");
  });

  it("the attacker presents evidence of one transaction as evidence of another: the signature does not verify", async () => {
    const victim = await device();
    const token = await tokenOf(victim);
    const evidence = await evidenceFor(await otpOf(victim, { transaction: payment }), token, payment);
    expect(await verifyTransactionEvidence(evidence, { transaction: payment })).toMatchObject({ valid: true });
    // One cent more, with a digest and a signed string made to match it: only the device could sign those.
    const forged = { ...payment, amount: 2000 };
    const canonical = canonicalTransaction(forged) as string;
    const digest = await digestOf(forged);
    const signedString = evidence.signedString.replace(evidence.digest, digest);
    expect(await verifyTransactionEvidence({ ...evidence, canonical, digest, signedString })).toEqual({
      valid: false,
      reason: "the signature does not verify",
    });
    expect(await verifyTransactionEvidence(evidence, { transaction: forged })).toEqual({
      valid: false,
      reason: "another transaction",
    });
    expect(await verifyTransactionEvidence({ ...evidence, canonical })).toEqual({
      valid: false,
      reason: "the digest does not match",
    });
  });
});

describe("a transaction signature replayed on another device of the same account", () => {
  it("the attacker, with a second device on the account, sends a signature the first device made: 2311", async () => {
    const first = await device();
    const second = await device(first);
    expectSuccess(await first.pims.get(OTP, { action: "withPIN", pinCode: first.pin, transaction: unlock }));
    const captured = first.lastSignature();
    second.rewrite(() => captured);
    expectFailure(await second.pims.get(OTP, { action: "withPIN", pinCode: second.pin, transaction: unlock }), 2311);
  });

  it("the attacker has the first device's key sign the second device's request exactly: 2311 (the second's own key passes)", async () => {
    const first = await device();
    const second = await device(first);
    expectSuccess(await first.pims.get(OTP, { action: "withoutPIN" }));
    expectSuccess(await second.pims.get(OTP, { action: "withoutPIN" }));
    const parts = { accountId: await second.accountId(), deviceId: await second.deviceId(), transaction: unlock };
    expect(parts.deviceId).not.toBe(await first.deviceId());
    const params = { action: "withoutPIN", transaction: unlock };
    expect((await sendCrafted(second, params, (r) => craft(first.key(), r, parts))).error?.code).toBe(2311);
    expect((await sendCrafted(second, params, (r) => craft(second.key(), r, parts))).status).toBe("SUCCEEDED");
  });

  it("the attacker swaps another device's key into the evidence: the key is not the signing device's", async () => {
    const first = await device();
    const second = await device(first);
    const token = await tokenOf(first);
    const mine = await evidenceFor(await otpOf(first, { transaction: unlock }), token, unlock);
    const theirs = await evidenceFor(await otpOf(second, { transaction: unlock }), token, unlock);
    expect(await verifyTransactionEvidence({ ...mine, publicKey: theirs.publicKey })).toEqual({
      valid: false,
      reason: "the key is not the device's",
    });
    expect(await verifyTransactionEvidence(mine, { device: await second.deviceId() })).toEqual({
      valid: false,
      reason: "another device",
    });
  });
});

describe("a transaction signature replayed on another account", () => {
  it("the attacker, with a device on their own account, sends a signature the victim's device made: 2311", async () => {
    const victim = await device();
    const attacker = await device();
    expectSuccess(await victim.pims.get(OTP, { action: "withoutPIN", transaction: payment }));
    const captured = victim.lastSignature();
    attacker.rewrite(() => captured);
    expectFailure(await attacker.pims.get(OTP, { action: "withoutPIN", transaction: payment }), 2311);
  });

  it("the attacker makes a device sign the string of another account: 2311 (the same craft for its own account passes)", async () => {
    const victim = await device();
    const other = await device();
    expectSuccess(await victim.pims.get(OTP, { action: "withoutPIN" }));
    const parts = { deviceId: await victim.deviceId(), transaction: unlock };
    const params = { action: "withoutPIN", transaction: unlock };
    const elsewhere = await sendCrafted(victim, params, (r) =>
      craft(victim.key(), r, { ...parts, accountId: "acc_00000000000000000000000" }),
    );
    expect(elsewhere.error?.code).toBe(2311);
    const foreign = await sendCrafted(victim, params, async (r) =>
      craft(victim.key(), r, { ...parts, accountId: await other.accountId() }),
    );
    expect(foreign.error?.code).toBe(2311);
    const own = await sendCrafted(victim, params, async (r) =>
      craft(victim.key(), r, { ...parts, accountId: await victim.accountId() }),
    );
    expect(own.status).toBe("SUCCEEDED");
  });

  it("the attacker presents the victim's evidence as made for their account: refused", async () => {
    const victim = await device();
    const attacker = await device();
    const evidence = await evidenceFor(await otpOf(victim, { transaction: unlock }), await tokenOf(victim), unlock);
    const claimed = evidence.signedString.replace(await victim.accountId(), await attacker.accountId());
    expect(await verifyTransactionEvidence({ ...evidence, signedString: claimed })).toEqual({
      valid: false,
      reason: "the signature does not verify",
    });
    expect(await verifyTransactionEvidence(evidence, { account: await attacker.accountId() })).toEqual({
      valid: false,
      reason: "another account",
    });
  });
});

describe("a transaction without its signature, a signature without its transaction", () => {
  it("the attacker strips the transaction signature, with a wrong PIN: 2311, and no PIN attempt is spent", async () => {
    const victim = await device();
    const failures = async () =>
      (
        await server.server.services.db
          .selectFrom("accounts")
          .select("pin_failures")
          .where("id", "=", await victim.accountId())
          .executeTakeFirstOrThrow()
      ).pin_failures;
    victim.rewrite(() => undefined);
    expectFailure(await victim.pims.get(OTP, { action: "withPIN", pinCode: "11112222", transaction: unlock }), 2311);
    expect(await failures()).toBe(0);
    // A signature on a request without a transaction covers nothing: refused too.
    victim.rewrite(undefined);
    expectSuccess(await victim.pims.get(OTP, { action: "withoutPIN", transaction: unlock }));
    const captured = victim.lastSignature();
    victim.rewrite(() => captured);
    expectFailure(await victim.pims.get(OTP, { action: "withoutPIN" }), 2311);
  });
});

describe("transaction OTPs and context OTPs are not interchangeable", () => {
  it("the attacker presents an OTP asked for a transaction without the transaction: not valid (and valid with it)", async () => {
    const victim = await device();
    const token = await tokenOf(victim);
    const otp = await otpOf(victim, { transaction: unlock });
    expect((await verifyOtp(server.url, rp.key, { otp, accessToken: token })).body.result).toEqual({ valid: false });
    expect(
      (await verifyOtp(server.url, rp.key, { otp, accessToken: token, context: canonicalTransaction(unlock) })).body
        .result,
    ).toEqual({ valid: false });
    expect(
      (await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: unlock })).body.result,
    ).toMatchObject({
      valid: true,
      transaction: { canonical: canonicalTransaction(unlock) },
    });
  });

  it("the attacker presents a context-only OTP (or a plain one) with a transaction, to get it accepted for it: not valid", async () => {
    const victim = await device();
    const token = await tokenOf(victim);
    const context = canonicalTransaction(unlock) as string;
    const forContext = await otpOf(victim, { context });
    const plain = await otpOf(victim, {});
    for (const otp of [forContext, plain]) {
      expect(
        (await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: unlock })).body.result,
      ).toEqual({
        valid: false,
      });
    }
    const asContext = (await verifyOtp(server.url, rp.key, { otp: forContext, accessToken: token, context })).body
      .result;
    expect(asContext).toMatchObject({ valid: true });
    expect(asContext).not.toHaveProperty("transaction");
  });
});
