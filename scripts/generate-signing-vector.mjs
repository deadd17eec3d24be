// Writes packages/protocol/vectors/signing.json: one device key and one signed request, for every
// implementation of the device signature (decision 0003) to test against. Run once; the file is
// checked in and the tests of protocol, SDK and server read it. Running it again makes a new key
// (and so a new vector): do that only when the signature format changes.
//
// Built on Node's own crypto and Buffer, not on the Pims code it checks.
import { createHash, webcrypto } from "node:crypto";
import { writeFile } from "node:fs/promises";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };

const pair = await webcrypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
const { kty, crv, x, y, d } = await webcrypto.subtle.exportKey("jwk", pair.privateKey);
const privateKeyJwk = { kty, crv, x, y, d };
const publicKeyJwk = { kty, crv, x, y };
const rawPublicKey = new Uint8Array(await webcrypto.subtle.exportKey("raw", pair.publicKey));
const deviceId = `dev_${b64url(createHash("sha256").update(rawPublicKey).digest()).slice(0, 22)}`;

// S7 (validate an enrollment code) from a device the server does not know yet: the key travels along.
const body = JSON.stringify({ smsCode: "123456" });
const inputs = {
  method: "POST",
  path: "/v1/enrollment/validate-code",
  timestamp: String(Date.UTC(2026, 0, 1)),
  nonce: b64url(Uint8Array.from({ length: 16 }, (_, i) => i)),
  bodyDigest: b64url(createHash("sha256").update(body, "utf8").digest()),
  deviceId,
};
const signingString = [
  "PIMS-SIG-V1",
  inputs.method,
  inputs.path,
  inputs.timestamp,
  inputs.nonce,
  inputs.bodyDigest,
  inputs.deviceId,
].join("\n");
const signature = b64url(
  new Uint8Array(
    await webcrypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      pair.privateKey,
      Buffer.from(signingString, "utf8"),
    ),
  ),
);

const vector = {
  description:
    "One Pims device signature (PIMS-SIG-V1, docs/decisions/0003-device-signatures.md): an ECDSA P-256 key, its device id, one request's signing string and a signature over it. ECDSA signatures are randomized: this signature is one valid signature, not the only one; check that it verifies and that yours verify with publicKey.",
  generatedBy: "scripts/generate-signing-vector.mjs",
  key: {
    privateKeyJwk,
    publicKeyJwk,
    publicKey: b64url(rawPublicKey),
    publicKeyNote: "the raw uncompressed P-256 point (0x04 || x || y, 65 bytes), base64url without padding",
    deviceId,
    deviceIdNote: "dev_ + the first 22 characters of base64url(SHA-256(raw public key))",
  },
  request: {
    method: inputs.method,
    path: inputs.path,
    body,
    headers: {
      "pims-device": deviceId,
      "pims-timestamp": inputs.timestamp,
      "pims-nonce": inputs.nonce,
      "pims-signature": signature,
      "pims-device-key": b64url(rawPublicKey),
    },
  },
  signingInputs: inputs,
  bodyDigestNote: "base64url(SHA-256(the exact body bytes, UTF-8)), without padding",
  signingString,
  signingStringNote: "the UTF-8 bytes signed: the seven lines joined by a single \\n, no trailing newline",
  signature,
  signatureNote: "ECDSA P-256 with SHA-256, IEEE P1363 form (r || s, 64 bytes), base64url without padding",
};

const file = new URL("../packages/protocol/vectors/signing.json", import.meta.url);
await writeFile(file, `${JSON.stringify(vector, null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}: ${deviceId}\n`);
