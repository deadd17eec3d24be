import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromBase64Url, signingString, toBase64Url } from "./signing.js";

describe("base64url", () => {
  it("matches Node's encoder for every length", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      const encoded = toBase64Url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString("base64url"));
      expect(fromBase64Url(encoded)).toEqual(bytes);
    }
  });

  it("refuses what is not base64url", () => {
    expect(fromBase64Url("ab+c")).toBeUndefined();
    expect(fromBase64Url("abcde")).toBeUndefined();
  });
});

describe("signingString", () => {
  it("joins the versioned parts with newlines, method upper-cased", () => {
    expect(
      signingString({
        method: "post",
        path: "/v1/otp/with-pin",
        timestamp: "1700000000000",
        nonce: "n",
        bodyDigest: "d",
        deviceId: "dev_x",
      }),
    ).toBe("PIMS-SIG-V1\nPOST\n/v1/otp/with-pin\n1700000000000\nn\nd\ndev_x");
  });
});
