import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fromBase64Url, HEADERS, type SigningVector, toBase64Url } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedInPims } from "../support/facade.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

/**
 * The server against the fixed signing vector (@pims/protocol/vectors/signing.json): the request a
 * native client would make from the vector is accepted as signed, and refused with any byte changed.
 */
const vector = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@pims/protocol/vectors/signing.json"), "utf8"),
) as SigningVector;

let server: TestServer;
let bearer: string;
beforeAll(async () => {
  // The server's clock at the vector's timestamp, so the signature is within the allowed skew.
  server = await startTestServer({ clock: new TestClock(Number(vector.signingInputs.timestamp)) });
  bearer = await accessToken((await loggedInPims(server.url)).pims);
});
afterAll(() => server.close());

async function send(headers: Record<string, string>, body = vector.request.body): Promise<number | undefined> {
  const response = await fetch(`${server.url}${vector.request.path}`, {
    method: vector.request.method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", ...headers },
    body,
  });
  const answer = (await response.json()) as { status: string; error?: { code: number } };
  return answer.error?.code;
}

/** `text` (base64url) with one bit of its byte at `index` flipped. */
function flipByte(text: string, index: number): string {
  const bytes = fromBase64Url(text) as Uint8Array;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return toBase64Url(bytes);
}

// In this order: a refused request leaves its nonce unspent, so the genuine request, sent last
// with the same nonce, is the control that shows each refusal came from the one changed byte.
describe("the server's device-signature check, on the signing vector", () => {
  it("refuses the vector's request with one byte of the signature changed (2311)", async () => {
    const signature = flipByte(vector.signature, 10);
    expect(await send({ ...vector.request.headers, [HEADERS.signature]: signature })).toBe(2311);
  });

  it("refuses it with one byte of the body changed (2311): the signature covers the body digest", async () => {
    const body = vector.request.body.replace("123456", "123457");
    expect(await send(vector.request.headers, body)).toBe(2311);
  });

  it("refuses it under a device id that is not the key's thumbprint (2311)", async () => {
    const deviceId = `dev_${flipByte(vector.key.deviceId.slice(4), 3)}`;
    expect(await send({ ...vector.request.headers, [HEADERS.deviceId]: deviceId })).toBe(2311);
  });

  it("accepts the vector's request as signed: it reaches S7, which answers for the account (2307, no trusted number); its replay is 2311", async () => {
    expect(await send(vector.request.headers)).toBe(2307);
    expect(await send(vector.request.headers)).toBe(2311);
  });
});
