import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  fromBase64Url,
  HEADERS,
  otpWithoutPin,
  type SigningVector,
  signingString,
  type TransactionSigningVector,
  validateParams,
} from "@pims/protocol";
import { describe, expect, it } from "vitest";
import type { SdkCrypto } from "../sdkCrypto.js";
import { deviceIdOf } from "./deviceKey.js";
import { signRequest } from "./signRequest.js";

/** The vector as the published package ships it (scripts/generate-signing-vector.mjs wrote it). */
const vector = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@pims/protocol/vectors/signing.json"), "utf8"),
) as SigningVector;
const crypto: SdkCrypto = globalThis.crypto;
const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const bytes = (text: string) => new TextEncoder().encode(text);

/** The vector's device, as the SDK holds it after enrollment. */
async function vectorDevice() {
  const privateKey = await crypto.subtle.importKey("jwk", vector.key.privateKeyJwk, ECDSA, false, ["sign"]);
  const raw = fromBase64Url(vector.key.publicKey) as Uint8Array;
  return { id: await deviceIdOf(raw, crypto), publicKey: vector.key.publicKey, privateKey, enrolledAt: undefined };
}

async function verifies(signature: string, text: string): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64Url(vector.key.publicKey) as Uint8Array<ArrayBuffer>,
    ECDSA,
    false,
    ["verify"],
  );
  const sig = fromBase64Url(signature) as Uint8Array<ArrayBuffer>;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, sig, bytes(text));
}

const request = {
  path: vector.request.path,
  body: vector.request.body,
  now: Number(vector.signingInputs.timestamp),
  presentKey: true,
};

describe("the SDK against the signing vector (@pims/protocol/vectors/signing.json)", () => {
  it("derives the vector's device id from its public key", async () => {
    expect((await vectorDevice()).id).toBe(vector.key.deviceId);
  });

  it("with the vector's nonce, signs exactly the vector's signing string: the headers match and the signature verifies", async () => {
    const nonceBytes = fromBase64Url(vector.signingInputs.nonce) as Uint8Array;
    const fixedNonce: SdkCrypto = { subtle: crypto.subtle, getRandomValues: (array) => array.set(nonceBytes) };
    const headers = await signRequest(await vectorDevice(), request, fixedNonce);
    const { [HEADERS.signature]: signature, ...rest } = headers;
    const { [HEADERS.signature]: vectorSignature, ...vectorRest } = vector.request.headers;
    expect(rest).toEqual(vectorRest);
    // ECDSA is randomized: the SDK's signature need not be the vector's, but both verify.
    expect(await verifies(signature as string, vector.signingString)).toBe(true);
    expect(await verifies(vectorSignature as string, vector.signingString)).toBe(true);
  });

  it("with a fresh nonce, signs the signing string of that nonce, which the vector's public key verifies", async () => {
    const headers = await signRequest(await vectorDevice(), request, crypto);
    const nonce = headers[HEADERS.nonce] as string;
    expect(nonce).not.toBe(vector.signingInputs.nonce);
    const text = signingString({ ...vector.signingInputs, nonce });
    expect(await verifies(headers[HEADERS.signature] as string, text)).toBe(true);
    expect(await verifies(headers[HEADERS.signature] as string, vector.signingString)).toBe(false);
  });
});

/** The transaction vector: the same device key signing one transaction (decision 0025). */
const transactionVector = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@pims/protocol/vectors/transaction-signing.json"), "utf8"),
) as TransactionSigningVector;

describe("the SDK against the transaction signing vector (@pims/protocol/vectors/transaction-signing.json)", () => {
  it("with the vector's time and nonce, signs exactly the vector's transaction signing string", async () => {
    const { accountId, nonce, timestamp } = transactionVector.signingInputs;
    const nonceBytes = fromBase64Url(nonce) as Uint8Array;
    const fixedNonce: SdkCrypto = { subtle: crypto.subtle, getRandomValues: (array) => array.set(nonceBytes) };
    const canonical = validateParams(otpWithoutPin, { transaction: transactionVector.transaction });
    expect(canonical).toEqual({ ok: true, value: { transaction: transactionVector.canonical } });
    const headers = await signRequest(
      await vectorDevice(),
      {
        path: otpWithoutPin.path,
        body: "{}",
        now: Number(timestamp),
        presentKey: false,
        transaction: { accountId, canonical: transactionVector.canonical },
      },
      fixedNonce,
    );
    const signature = headers[HEADERS.transactionSignature] as string;
    expect(await verifies(signature, transactionVector.signingString)).toBe(true);
    expect(await verifies(transactionVector.signature, transactionVector.signingString)).toBe(true);
    expect(await verifies(signature, transactionVector.signingString.replace(accountId, `${accountId}x`))).toBe(false);
  });

  it("signs no transaction when none is asked", async () => {
    const headers = await signRequest(await vectorDevice(), request, crypto);
    expect(headers).not.toHaveProperty(HEADERS.transactionSignature);
  });
});
