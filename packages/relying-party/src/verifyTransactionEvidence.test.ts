import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { TransactionSigningVector } from "@pims/protocol";
import { describe, expect, it } from "vitest";
import { verifyTransactionEvidence } from "./verifyTransactionEvidence.js";

/** The evidence of the transaction vector (scripts/generate-transaction-vector.mjs). */
const vector = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@pims/protocol/vectors/transaction-signing.json"), "utf8"),
) as TransactionSigningVector;
const { evidence } = vector;
const { accountId, deviceId, timestamp } = vector.signingInputs;

describe("verifyTransactionEvidence, on the transaction vector", () => {
  it("says who approved what, and when", async () => {
    expect(
      await verifyTransactionEvidence(evidence, {
        transaction: vector.transaction,
        account: accountId,
        device: deviceId,
      }),
    ).toEqual({
      valid: true,
      account: accountId,
      device: deviceId,
      signedAt: Number(timestamp),
      transaction: { type: "vehicle.unlock", vin: "VF3LCYHZPHS123456" },
    });
  });

  it.each([
    [
      "a signed string of another version",
      { signedString: evidence.signedString.replace("PIMS-TX-V1", "PIMS-TX-V2") },
      "not a transaction signing string",
    ],
    ["a canonical form that is not JSON", { canonical: "{" }, "the transaction is not JSON"],
    [
      "a canonical form that is not canonical",
      { canonical: '{"vin":"VF3LCYHZPHS123456","type":"vehicle.unlock"}' },
      "the transaction is not canonical",
    ],
    [
      "another canonical transaction",
      { canonical: '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123457"}' },
      "the digest does not match",
    ],
    ["a key that is not a P-256 point", { publicKey: { ...evidence.publicKey, x: "AAAA" } }, "not a P-256 public key"],
    [
      "a signature of another string",
      { signature: vector.signature.replace(/^./, (c) => (c === "A" ? "B" : "A")) },
      "the signature does not verify",
    ],
  ] as const)("refuses %s", async (_name, change, reason) => {
    expect(await verifyTransactionEvidence({ ...evidence, ...change })).toEqual({ valid: false, reason });
  });

  it("refuses evidence for another account, device or transaction than expected", async () => {
    expect(await verifyTransactionEvidence(evidence, { account: "acc_other" })).toMatchObject({
      reason: "another account",
    });
    expect(await verifyTransactionEvidence(evidence, { device: "dev_other" })).toMatchObject({
      reason: "another device",
    });
    expect(
      await verifyTransactionEvidence(evidence, { transaction: { type: "vehicle.lock", vin: "VF3LCYHZPHS123456" } }),
    ).toMatchObject({
      reason: "another transaction",
    });
  });
});
