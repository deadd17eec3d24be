import { acrOf, isPlainObject, type ParamValues, VERIFY_PARAMS, type VerifyResult } from "@pims/protocol";
import type { Kysely } from "kysely";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import type { DatabaseSchema } from "../db/schema.js";
import { devicePublicJwk } from "../device/devicePublicJwk.js";
import type { SignedTransaction } from "../device/verifyTransactionSignature.js";
import type { Services } from "../Services.js";

/**
 * A verification request, validated: `otp` normalized, exactly one of `account` and `accessToken`,
 * a `transaction` as its canonical text.
 */
export type VerifyInput = ParamValues<(typeof VERIFY_PARAMS)["params"]>;

/**
 * Reads a verification body with the declarations' validation (2101/2102 naming the parameter, as
 * for every operation), then the rules a declaration cannot say: exactly one of `account` and
 * `accessToken` (2101 `account` when neither, 2102 `account` when both); not both `context` and
 * `transaction` (2102 `transaction`); and a `context` or `transaction` given as `""` or `null` is
 * 2102, not "none": the relying party asked for one, and an OTP bound to none must not pass for it.
 */
export function readVerifyRequest(body: unknown): VerifyInput {
  const input = readParams(VERIFY_PARAMS, body);
  for (const parameter of ["context", "transaction"] as const) {
    if (input[parameter] === undefined && isPlainObject(body) && body[parameter] !== undefined)
      throw new PimsError(2102, { parameter });
  }
  if (input.account === undefined && input.accessToken === undefined)
    throw new PimsError(2101, { parameter: "account" });
  if (input.account !== undefined && input.accessToken !== undefined)
    throw new PimsError(2102, { parameter: "account" });
  if (input.context !== undefined && input.transaction !== undefined)
    throw new PimsError(2102, { parameter: "transaction" });
  return input;
}

/**
 * Verifies (and consumes) an OTP for a relying party: the account by access token or id, the
 * atomic consume, the guessing limit per live OTP, the audit. An OTP asked for a transaction comes
 * with the evidence: the device's signature over it and the device's key (decision 0025); and, when
 * asked, a signed assertion of the valid verification for this relying party (decision 0026).
 */
export async function verifyForRelyingParty(
  services: Pick<Services, "otps" | "sessions" | "audit" | "accounts" | "devices" | "transaction" | "assertions">,
  relyingPartyId: string,
  input: VerifyInput,
  clientAddress: string,
): Promise<VerifyResult> {
  const { otps, sessions, audit, accounts, devices, transaction } = services;
  // The key that signed: the consume checked the device is active, so its row is there; were it
  // not, the verification fails (and its consume rolls back) rather than answer without evidence.
  const evidenceOf = async (deviceId: string, signed: SignedTransaction, trx: Kysely<DatabaseSchema>) => {
    const publicKey = devicePublicJwk((await devices.find(deviceId, trx))?.public_key ?? "");
    if (!publicKey) throw new Error(`otp.verify: no key for device ${deviceId}`);
    return { ...signed, publicKey };
  };
  const principal =
    input.accessToken !== undefined
      ? await sessions.authenticate(input.accessToken)
      : input.account !== undefined
        ? await sessions.account(input.account)
        : undefined;
  const event = { event: "otp.verify" as const, clientAddress };
  if (!principal) {
    await audit.append({ ...event, outcome: "failure", detail: { relyingParty: relyingPartyId } });
    return { valid: false };
  }
  // Read before the OTP is consumed: a signing key that cannot be read leaves the OTP usable.
  const sign = input.assertion === "jws" ? await services.assertions.signerFor(relyingPartyId) : undefined;
  // The account's verifications run one at a time: a wrong one counts against each live OTP, and
  // an OTP that has faced the limit is voided. Nothing else is refused, so a token holder's junk
  // cannot block the user's next OTP, and valid ones in flight never crowd each other out.
  const consumed = await transaction(async (trx) => {
    await accounts.lockRow(principal.accountId, trx);
    const found = await otps.consume(
      {
        accountId: principal.accountId,
        otp: input.otp,
        context: input.context,
        transaction: input.transaction,
        relyingPartyId,
      },
      trx,
    );
    const voided = found ? 0 : await otps.countWrongGuess(principal.accountId, trx);
    await audit.append(
      found
        ? {
            ...event,
            outcome: "success",
            accountId: principal.accountId,
            deviceId: found.deviceId,
            detail: {
              relyingParty: relyingPartyId,
              factors: found.factors.join("+"),
              ...(found.transaction ? { transaction: found.transaction.digest } : {}),
            },
          }
        : {
            ...event,
            outcome: "failure",
            accountId: principal.accountId,
            detail: { relyingParty: relyingPartyId, ...(voided > 0 ? { voided } : {}) },
          },
      trx,
    );
    return (
      found && { ...found, evidence: found.transaction && (await evidenceOf(found.deviceId, found.transaction, trx)) }
    );
  });
  if (!consumed) return { valid: false };
  const { evidence } = consumed;
  const verified = {
    valid: true,
    account: { id: principal.accountId, username: principal.login },
    device: consumed.deviceId,
    factors: consumed.factors,
    issuedAt: consumed.issuedAt,
    acr: acrOf(consumed.factors),
    amr: consumed.methods,
    authTime: consumed.issuedAt,
    ...(evidence ? { transaction: evidence } : {}),
  } as const;
  return sign ? { ...verified, assertion: sign(verified) } : verified;
}
