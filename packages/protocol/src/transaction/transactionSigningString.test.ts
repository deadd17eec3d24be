import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../signing.js";
import { canonicalTransaction } from "./canonicalTransaction.js";
import type { TransactionSigningVector } from "./TransactionSigningVector.js";
import { readTransactionSigningString, transactionSigningString } from "./transactionSigningString.js";

/** The checked-in vector (scripts/generate-transaction-vector.mjs), as a client would read it. */
const vector = JSON.parse(
  readFileSync(new URL("../../vectors/transaction-signing.json", import.meta.url), "utf8"),
) as TransactionSigningVector;
const { subtle } = globalThis.crypto;
const encode = (text: string) => new TextEncoder().encode(text);
const sha256 = async (bytes: Uint8Array<ArrayBuffer>) =>
  toBase64Url(new Uint8Array(await subtle.digest("SHA-256", bytes)));

describe("the transaction signing vector (vectors/transaction-signing.json, decision 0025)", () => {
  it("the protocol gives the vector's canonical form, digest and signing string", async () => {
    expect(canonicalTransaction(vector.transaction)).toBe(vector.canonical);
    expect(vector.canonical).toBe('{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}');
    expect(await sha256(encode(vector.canonical))).toBe(vector.signingInputs.transactionDigest);
    expect(transactionSigningString(vector.signingInputs)).toBe(vector.signingString);
    expect(vector.signingString.split("\n")).toEqual([
      "PIMS-TX-V1",
      vector.signingInputs.accountId,
      vector.key.deviceId,
      vector.signingInputs.timestamp,
      vector.signingInputs.nonce,
      vector.signingInputs.transactionDigest,
    ]);
    expect(readTransactionSigningString(vector.signingString)).toEqual(vector.signingInputs);
  });

  it("the signature verifies with WebCrypto, and not for one changed character", async () => {
    const key = await subtle.importKey("jwk", vector.key.publicKeyJwk, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    const signature = new Uint8Array(fromBase64Url(vector.signature) ?? []);
    const verify = (text: string) => subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, encode(text));
    expect(await verify(vector.signingString)).toBe(true);
    expect(await verify(vector.signingString.replace(vector.signingInputs.timestamp, "1767225600001"))).toBe(false);
  });

  it("the evidence is the vector's parts", () => {
    expect(vector.evidence).toEqual({
      digest: vector.signingInputs.transactionDigest,
      canonical: vector.canonical,
      signature: vector.signature,
      signedString: vector.signingString,
      publicKey: vector.key.publicKeyJwk,
    });
  });

  it("reads only well-formed strings", () => {
    const lines = vector.signingString.split("\n");
    const withLine = (index: number, value: string) => lines.map((line, i) => (i === index ? value : line)).join("\n");
    expect(readTransactionSigningString(withLine(0, "PIMS-TX-V2"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(1, "acc x"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(2, "dev_short"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(3, "17672256000"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(4, "nonce"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(5, `${vector.signingInputs.transactionDigest}=`))).toBeUndefined();
    expect(readTransactionSigningString(`${vector.signingString}\n`)).toBeUndefined();
  });
});
