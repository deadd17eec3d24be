import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import { calculateJwkThumbprint, compactVerify, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { jwkThumbprint } from "./jwkThumbprint.js";
import { signJws } from "./signJws.js";

/**
 * The wire format of an assertion against published vectors: the P-256 key and the ES256 JWS of
 * RFC 7515 Appendix A.3, and its RFC 7638 thumbprint (the `kid`) as jose computes it.
 */
const RFC7515_A3_KEY = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
} as const;
const { d: _private, ...RFC7515_A3_PUBLIC } = RFC7515_A3_KEY;
/** RFC 7515 A.3.1: the signing input, and A.3.1's signature (r‖s, base64url). */
const A3_SIGNING_INPUT =
  "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A3_SIGNATURE = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

describe("jwkThumbprint (the kid)", () => {
  it("is the RFC 7638 thumbprint of the RFC 7515 A.3 key, as jose computes it", async () => {
    expect(jwkThumbprint(RFC7515_A3_KEY)).toBe("oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
    expect(jwkThumbprint(RFC7515_A3_KEY)).toBe(await calculateJwkThumbprint(RFC7515_A3_PUBLIC));
  });
});

describe("signJws", () => {
  const privateKey = createPrivateKey({ key: RFC7515_A3_KEY, format: "jwk" });

  it("encodes its signature as RFC 7515 A.3 does: r‖s, 64 bytes (the RFC's own signature checks the same way)", () => {
    const publicKey = createPublicKey({ key: RFC7515_A3_PUBLIC, format: "jwk" });
    const rfc = Buffer.from(A3_SIGNATURE, "base64url");
    expect(rfc).toHaveLength(64);
    expect(verify("sha256", Buffer.from(A3_SIGNING_INPUT), { key: publicKey, dsaEncoding: "ieee-p1363" }, rfc)).toBe(
      true,
    );
    const [header, , signature = ""] = signJws({ alg: "ES256" }, { iss: "joe" }, privateKey).split(".");
    expect(header).toBe(A3_SIGNING_INPUT.split(".")[0]);
    expect(Buffer.from(signature, "base64url")).toHaveLength(64);
  });

  it("makes a compact JWS that jose verifies with the public key, header and claims as given", async () => {
    const header = { alg: "ES256", kid: jwkThumbprint(RFC7515_A3_KEY), typ: "pims-stepup+jwt" };
    const claims = { sub: "acc_1", aud: "rp_1", amr: ["swk", "pin", "mfa"] };
    const jws = signJws(header, claims, privateKey);
    const { payload, protectedHeader } = await compactVerify(jws, await importJWK(RFC7515_A3_PUBLIC, "ES256"));
    expect(protectedHeader).toEqual(header);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);
  });
});
