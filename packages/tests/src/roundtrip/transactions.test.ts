import { verifyAssertion } from "@pims/relying-party";
import { stepUpMiddleware } from "@pims/relying-party/express";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { listenOnLoopback } from "../support/listen.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * Transaction signing (issue 17 item 2, decision 0025), through the real SDK, a real server and a
 * real relying party (Express with the kit): the app gets back the transaction it will authorize,
 * the OTP verifies only for the identical transaction, and the relying party receives evidence it
 * checks with plain WebCrypto.
 */
const OTP = "pims.authentication.otp";
let server: TestServer;
let rp: { id: string; key: string };
let app: { url: string; close(): Promise<void> };

interface Unlocked {
  readonly unlocked: string;
  readonly evidence: {
    digest: string;
    canonical: string;
    signature: string;
    signedString: string;
    publicKey: JsonWebKey;
  };
  readonly account: string;
  readonly device: string;
}

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  rp = await createRelyingParty(server.url);
  const application = express();
  application.post(
    "/vehicles/:vin/unlock",
    stepUpMiddleware({
      pimsUrl: server.url,
      apiKey: rp.key,
      require: ["possession", "knowledge"],
      transaction: (req) => ({ type: "vehicle.unlock", vin: String((req as express.Request).params.vin) }),
    }),
    (req, res) => {
      const pims = req.pims;
      res.json({
        unlocked: req.params.vin,
        evidence: pims?.transaction,
        account: pims?.account.id,
        device: pims?.device,
      });
    },
  );
  app = await listenOnLoopback(application);
});
afterAll(async () => {
  await app.close();
  await server.close();
});

async function enrolled(fetchImpl?: typeof fetch): Promise<{ pims: Pims; pin: string; token: string }> {
  let pims: Pims;
  if (fetchImpl) {
    pims = createPims();
    const login = `tx-${Math.random().toString(36).slice(2)}@example.com`;
    expectSuccess(await pims.initialize({ serverUrl: server.url, store: memoryStore(), fetch: fetchImpl }));
    expectSuccess(
      await pims.set("pims.authentication.user", { action: "createAccount", login, password: "transaction-pw" }),
    );
  } else {
    pims = (await loggedInPims(server.url, memoryStore(), [app.url])).pims;
  }
  const { pin } = await enrollWithShortcut(server.url, pims, "40516273");
  const { token } = expectSuccess(
    await pims.get("pims.authentication.token", { type: "customerAt", action: "get" }),
  ) as {
    token: string;
  };
  return { pims, pin, token };
}

const VIN = "VF3LCYHZPHS123456";
const unlock = { type: "vehicle.unlock", vin: VIN };
const payment = {
  type: "payment",
  amount: 1999,
  currency: "EUR",
  payee: { name: "Ionity GmbH", iban: "DE89370400440532013000" },
};

const encode = (text: string) => new TextEncoder().encode(text);
const base64url = (bytes: ArrayBuffer) => Buffer.from(bytes).toString("base64url");

describe("an OTP for a transaction", () => {
  it("S15 answers the OTP with the transaction; the relying party's route runs with evidence that plain WebCrypto verifies", async () => {
    const { pims, pin } = await enrolled();
    const answer = expectSuccess(
      await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: { vin: VIN, type: "vehicle.unlock" } }),
    ) as { otp: string; transaction: unknown };
    expect(answer.otp).toMatch(/^\d{8}$/);
    expect(answer.transaction).toEqual(unlock);

    const response = await pims.fetch(`${app.url}/vehicles/${VIN}/unlock`, { method: "POST" });
    expect(response.status).toBe(200);
    const { unlocked, evidence, account, device } = (await response.json()) as Unlocked;
    expect(unlocked).toBe(VIN);

    // The check a relying party can make years later, with nothing from Pims: WebCrypto only.
    expect(evidence.canonical).toBe('{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}');
    expect(base64url(await crypto.subtle.digest("SHA-256", encode(evidence.canonical)))).toBe(evidence.digest);
    const lines = evidence.signedString.split("\n");
    expect(lines).toEqual([
      "PIMS-TX-V1",
      account,
      device,
      expect.stringMatching(/^\d{13}$/),
      expect.any(String),
      evidence.digest,
    ]);
    const key = await crypto.subtle.importKey(
      "jwk",
      evidence.publicKey,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    const signature = Buffer.from(evidence.signature, "base64url");
    const verify = (text: string) =>
      crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, encode(text));
    expect(await verify(evidence.signedString)).toBe(true);
    expect(await verify(evidence.signedString.replace(account, `${account}x`))).toBe(false);
    // The key is the device's: its thumbprint is the device id (decision 0003).
    const raw = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(evidence.publicKey.x ?? "", "base64url"),
      Buffer.from(evidence.publicKey.y ?? "", "base64url"),
    ]);
    expect(`dev_${base64url(await crypto.subtle.digest("SHA-256", raw)).slice(0, 22)}`).toBe(device);

    // Spent: the same request again needs a new OTP.
    expect((await pims.fetch(`${app.url}/vehicles/${VIN}/unlock`, { method: "POST" })).status).toBe(401);
  });

  it("S16 binds a transaction too; the route that demands the PIN refuses it, the verification API accepts it", async () => {
    const { pims, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(OTP, { action: "withoutPIN", transaction: payment })) as {
      otp: string;
    };
    const verified = await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: payment });
    expect(verified.body.result).toMatchObject({ valid: true, factors: ["possession"] });
    expect(verified.body.result?.transaction?.canonical).toBe(
      '{"amount":1999,"currency":"EUR","payee":{"iban":"DE89370400440532013000","name":"Ionity GmbH"},"type":"payment"}',
    );
  });

  it("a signed assertion of a transaction's verification says what was approved: txn is the evidence's digest", async () => {
    const { pims, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(OTP, { action: "withoutPIN", transaction: payment })) as {
      otp: string;
    };
    const verified = await verifyOtp(server.url, rp.key, {
      otp,
      accessToken: token,
      transaction: payment,
      assertion: "jws",
    });
    const jws = verified.body.result?.assertion ?? "";
    const claims = await verifyAssertion(jws, { pimsUrl: server.url, audience: rp.id });
    expect(claims.txn).toBe(verified.body.result?.transaction?.digest);
    expect(claims.txn).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("the relying party's route refuses an OTP asked for another VIN (one character), and accepts the right one after", async () => {
    const { pims, pin } = await enrolled();
    const other = `${VIN.slice(0, -1)}7`;
    expectSuccess(await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: { ...unlock, vin: other } }));
    const refused = await pims.fetch(`${app.url}/vehicles/${VIN}/unlock`, { method: "POST" });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(2302);
    expectSuccess(await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: unlock }));
    expect((await pims.fetch(`${app.url}/vehicles/${VIN}/unlock`, { method: "POST" })).status).toBe(200);
  });
});

describe("every single-field change is refused", () => {
  const CHANGES: readonly (readonly [string, object])[] = [
    ["one cent more", { ...payment, amount: 2000 }],
    ["one cent less", { ...payment, amount: 1998 }],
    ["the amount as a decimal string", { ...payment, amount: "19.99" }],
    ["another currency", { ...payment, currency: "EUX" }],
    ["another payee name (one character)", { ...payment, payee: { ...payment.payee, name: "Ionity GmbI" } }],
    ["another IBAN (one digit)", { ...payment, payee: { ...payment.payee, iban: "DE89370400440532013001" } }],
    ["another type", { ...payment, type: "payment.refund" }],
    ["a member added", { ...payment, reference: "INV-1" }],
    ["a nested member added", { ...payment, payee: { ...payment.payee, bic: "COBADEFFXXX" } }],
    ["a member removed", { type: payment.type, amount: payment.amount, currency: payment.currency }],
    ["a nested member removed", { ...payment, payee: { name: payment.payee.name } }],
    ["a string where an integer was", { ...payment, amount: "1999" }],
  ];

  it.each(CHANGES)("%s: not valid, and the OTP then verifies for the identical transaction", async (_name, changed) => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: payment })) as {
      otp: string;
    };
    expect(
      (await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: changed })).body.result,
    ).toEqual({ valid: false });
    // Member order is not a change: the canonical form is compared.
    const reordered = {
      payee: { iban: payment.payee.iban, name: payment.payee.name },
      currency: "EUR",
      amount: 1999,
      type: "payment",
    };
    const verified = await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: reordered });
    expect(verified.body.result).toMatchObject({ valid: true });
  });

  it("another VIN (one character) and another command on the same VIN are refused", async () => {
    const { pims, pin, token } = await enrolled();
    const { otp } = expectSuccess(await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: unlock })) as {
      otp: string;
    };
    for (const changed of [
      { ...unlock, vin: "VF3LCYHZPHS123457" },
      { ...unlock, vin: "vf3lcyhzphs123456" },
      { ...unlock, type: "vehicle.start" },
    ]) {
      expect(
        (await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: changed })).body.result,
      ).toEqual({ valid: false });
    }
    expect(
      (await verifyOtp(server.url, rp.key, { otp, accessToken: token, transaction: unlock })).body.result,
    ).toMatchObject({ valid: true });
  });
});

describe("transactions and contexts do not mix", () => {
  it("asking or verifying with both a context and a transaction: 2102 transaction", async () => {
    const { pims, pin, token } = await enrolled();
    expectFailure(
      await pims.get(OTP, { action: "withPIN", pinCode: pin, context: "x", transaction: unlock }),
      2102,
      "Invalid transaction parameter",
    );
    const both = await verifyOtp(server.url, rp.key, {
      otp: "12345678",
      accessToken: token,
      context: "x",
      transaction: unlock,
    });
    expect(both.body.error?.code).toBe(2102);
    expect(both.body.error?.label).toBe("Invalid transaction parameter");
    // Asked for one, given none: an OTP bound to nothing must not pass for "the transaction null".
    for (const none of [null, ""]) {
      const empty = await verifyOtp(server.url, rp.key, { otp: "12345678", accessToken: token, transaction: none });
      expect(empty.body.error?.code).toBe(2102);
    }
  });

  it("a transaction that is not one — a float amount, no type, a hidden character — is 2102 before anything is signed", async () => {
    const { pims, pin } = await enrolled();
    for (const bad of [{ ...payment, amount: 19.99 }, { vin: VIN }, { ...unlock, vin: `${VIN}\u202e` }]) {
      expectFailure(
        await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: bad }),
        2102,
        "Invalid transaction parameter",
      );
    }
  });
});

describe("what the app shows is what the device signed", () => {
  it("an answer that shows another transaction than the one signed is refused by the SDK (2203)", async () => {
    // Something between the app and Pims rewrites the transaction of the answer: the app would show it.
    const rewriting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes("/v1/otp/")) return response;
      const body = (await response.json()) as { result?: { transaction?: { vin?: string } } };
      if (body.result?.transaction) body.result.transaction.vin = "VF3LCYHZPHS999999";
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };
    const { pims, pin } = await enrolled(rewriting);
    expectFailure(await pims.get(OTP, { action: "withPIN", pinCode: pin, transaction: unlock }), 2203);
  });
});
