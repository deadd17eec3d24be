import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SigningVector } from "./SigningVector.js";
import { fromBase64Url, SIGNATURE_SHAPES, signingString, toBase64Url } from "./signing.js";
import { HEADERS } from "./wire.js";

/** The checked-in vector (scripts/generate-signing-vector.mjs), as a client would read it. */
const vector = JSON.parse(readFileSync(new URL("../vectors/signing.json", import.meta.url), "utf8")) as SigningVector;
const { subtle } = globalThis.crypto;
const bytes = (text: string) => new TextEncoder().encode(text);

describe("the signing vector (vectors/signing.json)", () => {
  it("the protocol builds exactly the vector's signing string from its inputs", () => {
    expect(signingString(vector.signingInputs)).toBe(vector.signingString);
    expect(vector.signingString.split("\n")).toEqual([
      "PIMS-SIG-V1",
      "POST",
      "/v1/enrollment/validate-code",
      vector.request.headers[HEADERS.timestamp],
      vector.request.headers[HEADERS.nonce],
      vector.signingInputs.bodyDigest,
      vector.key.deviceId,
    ]);
  });

  it("the body digest is base64url SHA-256 of the body bytes", async () => {
    const digest = new Uint8Array(await subtle.digest("SHA-256", bytes(vector.request.body)));
    expect(toBase64Url(digest)).toBe(vector.signingInputs.bodyDigest);
  });

  it("the public key is the JWK's point, uncompressed, and the device id its thumbprint", async () => {
    const raw = fromBase64Url(vector.key.publicKey) as Uint8Array<ArrayBuffer>;
    const x = fromBase64Url(vector.key.publicKeyJwk.x) as Uint8Array;
    const y = fromBase64Url(vector.key.publicKeyJwk.y) as Uint8Array;
    expect(raw).toEqual(Uint8Array.from([4, ...x, ...y]));
    expect(vector.key.privateKeyJwk).toMatchObject({ x: vector.key.publicKeyJwk.x, y: vector.key.publicKeyJwk.y });
    const thumbprint = toBase64Url(new Uint8Array(await subtle.digest("SHA-256", raw)));
    expect(vector.key.deviceId).toBe(`dev_${thumbprint.slice(0, 22)}`);
  });

  it("every header has the shape the server checks before any cryptography", () => {
    const { headers } = vector.request;
    expect(headers[HEADERS.deviceId]).toBe(vector.key.deviceId);
    expect(headers[HEADERS.deviceKey]).toBe(vector.key.publicKey);
    expect(headers[HEADERS.signature]).toBe(vector.signature);
    expect(headers[HEADERS.timestamp]).toBe(vector.signingInputs.timestamp);
    expect(headers[HEADERS.nonce]).toBe(vector.signingInputs.nonce);
    for (const [shape, value] of [
      [SIGNATURE_SHAPES.deviceId, headers[HEADERS.deviceId]],
      [SIGNATURE_SHAPES.timestamp, headers[HEADERS.timestamp]],
      [SIGNATURE_SHAPES.nonce, headers[HEADERS.nonce]],
      [SIGNATURE_SHAPES.signature, headers[HEADERS.signature]],
      [SIGNATURE_SHAPES.publicKey, headers[HEADERS.deviceKey]],
    ] as const) {
      expect(value).toMatch(shape);
    }
  });

  it("the signature verifies with the public key (ECDSA P-256, SHA-256, P1363) over the signing string, and not over another", async () => {
    const key = await subtle.importKey(
      "raw",
      fromBase64Url(vector.key.publicKey) as Uint8Array<ArrayBuffer>,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    const signature = fromBase64Url(vector.signature) as Uint8Array<ArrayBuffer>;
    const ecdsa = { name: "ECDSA", hash: "SHA-256" };
    expect(signature).toHaveLength(64);
    expect(await subtle.verify(ecdsa, key, signature, bytes(vector.signingString))).toBe(true);
    expect(await subtle.verify(ecdsa, key, signature, bytes(`${vector.signingString}\n`))).toBe(false);
  });
});
