import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../signing.js";
import { canonicalTransaction } from "./canonicalTransaction.js";
import { readTransactionSigningString, transactionSigningString } from "./transactionSigningString.js";

/**
 * A fixed vector for other implementers (made once with WebCrypto, P-256): the device's public key,
 * its id, a transaction, its canonical text and digest, the signing string and a signature over it.
 */
const VECTOR = {
  publicJwk: {
    kty: "EC",
    crv: "P-256",
    x: "87W4UOKvXyHgmC-N33ITHpQy679JM1o9iZMKunyGDjo",
    y: "vtpvi-7MzBxiWfI3nBXRqFnsy4Rt0gXUUlhSvHYV2Zg",
  },
  deviceId: "dev_GhXna2zkP8fpz_miSqskkk",
  accountId: "acc_mf2k1x9c0Qx3vN7aL2pR5tY8w",
  timestamp: "1790000000000",
  nonce: "q8Zr2mV5xT1cB7nL4kH9wA",
  transaction: { vin: "VF3LCYHZPHS123456", type: "vehicle.unlock" },
  canonical: '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}',
  digest: "-iLR-E0N0O5TQYozGG9w2nbJNfzYjaAyQgCsQaj8e_c",
  signingString:
    "PIMS-TX-V1\nacc_mf2k1x9c0Qx3vN7aL2pR5tY8w\ndev_GhXna2zkP8fpz_miSqskkk\n1790000000000\nq8Zr2mV5xT1cB7nL4kH9wA\n-iLR-E0N0O5TQYozGG9w2nbJNfzYjaAyQgCsQaj8e_c",
  signature: "_BweiNZ4CKV-154iCtKxqzjuJvPLn1dPEcDvZz4--T-vyOTXAwISREal4PpbuvsGDjgKmPGmLCo_j4AlEqD8pw",
} as const;

const encode = (text: string) => new TextEncoder().encode(text);
const sha256 = async (bytes: Uint8Array<ArrayBuffer>) =>
  toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));

describe("the transaction signing string (decision 0025)", () => {
  it("reproduces the vector: canonical text, digest, device id, signing string", async () => {
    expect(canonicalTransaction(VECTOR.transaction)).toBe(VECTOR.canonical);
    expect(await sha256(encode(VECTOR.canonical))).toBe(VECTOR.digest);
    const raw = new Uint8Array([
      4,
      ...(fromBase64Url(VECTOR.publicJwk.x) ?? []),
      ...(fromBase64Url(VECTOR.publicJwk.y) ?? []),
    ]);
    expect(`dev_${(await sha256(raw)).slice(0, 22)}`).toBe(VECTOR.deviceId);
    const parts = {
      accountId: VECTOR.accountId,
      deviceId: VECTOR.deviceId,
      timestamp: VECTOR.timestamp,
      nonce: VECTOR.nonce,
      transactionDigest: VECTOR.digest,
    };
    expect(transactionSigningString(parts)).toBe(VECTOR.signingString);
    expect(readTransactionSigningString(VECTOR.signingString)).toEqual(parts);
  });

  it("has a signature that WebCrypto verifies, and that fails for one changed character", async () => {
    const key = await crypto.subtle.importKey("jwk", VECTOR.publicJwk, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    const verify = (text: string) =>
      crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        key,
        new Uint8Array(fromBase64Url(VECTOR.signature) ?? []),
        encode(text),
      );
    expect(await verify(VECTOR.signingString)).toBe(true);
    expect(await verify(VECTOR.signingString.replace("1790000000000", "1790000000001"))).toBe(false);
  });

  it("reads only well-formed strings", () => {
    const lines = VECTOR.signingString.split("\n");
    const withLine = (index: number, value: string) => lines.map((line, i) => (i === index ? value : line)).join("\n");
    expect(readTransactionSigningString(withLine(0, "PIMS-TX-V2"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(1, "acc x"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(2, "dev_short"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(3, "17900000000"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(4, "nonce"))).toBeUndefined();
    expect(readTransactionSigningString(withLine(5, `${VECTOR.digest}=`))).toBeUndefined();
    expect(readTransactionSigningString(`${VECTOR.signingString}\n`)).toBeUndefined();
  });
});
