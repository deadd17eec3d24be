// Writes packages/protocol/vectors/transaction-signing.json: the device key of vectors/signing.json
// signing one transaction (PIMS-TX-V1, decision 0025), for every implementation of transaction
// signing — and every relying party that checks the evidence — to test against. Run once; the file
// is checked in and the tests of protocol, SDK and relying-party kit read it.
//
// Built on Node's own crypto and Buffer, not on the Pims code it checks: the canonical form of this
// flat, string-only transaction is its members sorted by name, serialized by JSON.stringify.
import { createHash, webcrypto } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const vectors = new URL("../packages/protocol/vectors/", import.meta.url);
const device = JSON.parse(await readFile(new URL("signing.json", vectors), "utf8"));
const privateKey = await webcrypto.subtle.importKey(
  "jwk",
  device.key.privateKeyJwk,
  { name: "ECDSA", namedCurve: "P-256" },
  false,
  ["sign"],
);

// S16 with a transaction; the members as an app may write them, in any order.
const transaction = { vin: "VF3LCYHZPHS123456", type: "vehicle.unlock" };
const canonical = JSON.stringify(Object.fromEntries(Object.entries(transaction).sort(([a], [b]) => (a < b ? -1 : 1))));
const inputs = {
  accountId: "acc_0mjvlhc00AAECAwQFBgcICQ",
  deviceId: device.key.deviceId,
  timestamp: String(Date.UTC(2026, 0, 1)),
  nonce: b64url(Uint8Array.from({ length: 16 }, (_, i) => 16 + i)),
  transactionDigest: b64url(createHash("sha256").update(canonical, "utf8").digest()),
};
const signingString = [
  "PIMS-TX-V1",
  inputs.accountId,
  inputs.deviceId,
  inputs.timestamp,
  inputs.nonce,
  inputs.transactionDigest,
].join("\n");
const signature = b64url(
  new Uint8Array(
    await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, Buffer.from(signingString, "utf8")),
  ),
);

const vector = {
  description:
    "One Pims transaction signature (PIMS-TX-V1, docs/decisions/0025-transaction-signing.md), by the device key of signing.json: a transaction, its RFC 8785 canonical form and digest, the transaction signing string and a signature over it, and the evidence a relying party receives. ECDSA signatures are randomized: this one is valid, not the only one.",
  generatedBy: "scripts/generate-transaction-vector.mjs",
  key: { publicKeyJwk: device.key.publicKeyJwk, publicKey: device.key.publicKey, deviceId: device.key.deviceId },
  keyNote: "the key of signing.json (its privateKeyJwk signs)",
  transaction,
  canonical,
  canonicalNote: "RFC 8785: members sorted by name (UTF-16 code units), no white space",
  signingInputs: inputs,
  digestNote: "base64url(SHA-256(the canonical form, UTF-8)), without padding",
  signingString,
  signingStringNote: "the UTF-8 bytes signed: the six lines joined by a single \\n, no trailing newline",
  signature,
  signatureNote: "ECDSA P-256 with SHA-256, IEEE P1363 form (r || s, 64 bytes), base64url without padding",
  evidence: {
    digest: inputs.transactionDigest,
    canonical,
    signature,
    signedString: signingString,
    publicKey: device.key.publicKeyJwk,
  },
};

const file = new URL("transaction-signing.json", vectors);
await writeFile(file, `${JSON.stringify(vector, null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}: ${inputs.transactionDigest}\n`);
