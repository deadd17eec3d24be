import { acrOf, isPlainObject, type ParamValues, VERIFY_PARAMS, type VerifyResult } from "@pims/protocol";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import type { Services } from "../Services.js";

/** A verification request, validated: `otp` normalized, exactly one of `account` and `accessToken`. */
export type VerifyInput = ParamValues<(typeof VERIFY_PARAMS)["params"]>;

/**
 * Reads a verification body with the declarations' validation (2101/2102 naming the parameter, as
 * for every operation), then the one rule a declaration cannot say: exactly one of `account` and
 * `accessToken` (2101 `account` when neither, 2102 `account` when both); and a `context` given as
 * `""` or `null` is 2102, not "no context": the relying party asked for one, and an OTP bound to
 * none must not pass for it.
 */
export function readVerifyRequest(body: unknown): VerifyInput {
  const input = readParams(VERIFY_PARAMS, body);
  if (input.context === undefined && isPlainObject(body) && body.context !== undefined)
    throw new PimsError(2102, { parameter: "context" });
  if (input.account === undefined && input.accessToken === undefined)
    throw new PimsError(2101, { parameter: "account" });
  if (input.account !== undefined && input.accessToken !== undefined)
    throw new PimsError(2102, { parameter: "account" });
  return input;
}

/**
 * Verifies (and consumes) an OTP for a relying party: the account by access token or id, the
 * atomic consume, the guessing limit per live OTP, the audit; and, when asked, a signed assertion
 * of the valid verification for this relying party.
 */
export async function verifyForRelyingParty(
  services: Pick<Services, "otps" | "sessions" | "audit" | "accounts" | "transaction" | "assertions">,
  relyingPartyId: string,
  input: VerifyInput,
  clientAddress: string,
): Promise<VerifyResult> {
  const { otps, sessions, audit, accounts, transaction } = services;
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
      { accountId: principal.accountId, otp: input.otp, context: input.context, relyingPartyId },
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
            detail: { relyingParty: relyingPartyId, factors: found.factors.join("+") },
          }
        : {
            ...event,
            outcome: "failure",
            accountId: principal.accountId,
            detail: { relyingParty: relyingPartyId, ...(voided > 0 ? { voided } : {}) },
          },
      trx,
    );
    return found;
  });
  if (!consumed) return { valid: false };
  const verified = {
    valid: true,
    account: { id: principal.accountId, username: principal.login },
    device: consumed.deviceId,
    factors: consumed.factors,
    issuedAt: consumed.issuedAt,
    acr: acrOf(consumed.factors),
    amr: consumed.methods,
    authTime: consumed.issuedAt,
  } as const;
  return sign ? { ...verified, assertion: sign(verified) } : verified;
}
