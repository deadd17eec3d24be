import { acrOf, isPlainObject, type ParamValues, VERIFY_PARAMS, type VerifyResult } from "@pims/protocol";
import type { Kysely } from "kysely";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import type { DatabaseSchema } from "../db/schema.js";
import { devicePublicJwk } from "../device/devicePublicJwk.js";
import type { SignedTransaction } from "../device/verifyTransactionSignature.js";
import type { ConsumedOtp, ConsumeRequest, Otps } from "../otp/Otps.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { Services } from "../Services.js";
import { ConsumeBatch, type Consumed } from "./ConsumeBatch.js";

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

/** A limit on verifications (a relying party's per minute): reserved before any is attempted. */
export interface VerifyLimit {
  readonly key: string;
  readonly windowMs: number;
  readonly max: number;
}

type VerifyServices = Pick<
  Services,
  | "engine"
  | "otps"
  | "sessions"
  | "audit"
  | "accounts"
  | "devices"
  | "transaction"
  | "assertions"
  | "counters"
  // The tenant's database, for the single statement on PostgreSQL (composed of its owners' parts).
  | "db"
>;

/** Reserves one of `limit`'s verifications on its own (2383 past the limit). */
export async function reserve(counters: Counters, limit: VerifyLimit): Promise<void> {
  if ((await counters.hit(limit.key, limit.windowMs)) > limit.max) throw new PimsError(2383);
}

/**
 * Verifies (and consumes) an OTP for a relying party: the account by access token or id, the
 * atomic consume, the guessing limit per live OTP, the audit. An OTP asked for a transaction comes
 * with the evidence: the device's signature over it and the device's key (decision 0025); and, when
 * asked, a signed assertion of the valid verification for this relying party (decision 0026).
 *
 * `limit` is reserved first (2383 past it). Where the counters live in the database file itself
 * (SQLite), the reservation is written in the verification's transaction: one commit per
 * verification instead of two (issue 14). On PostgreSQL, a valid OTP is consumed, its account
 * locked and its audit row written by one statement, one round trip instead of six (the account's
 * lookup, `BEGIN`, the lock, the consume, the audit, `COMMIT`); any other outcome goes the way of
 * the transaction below, which says why.
 */
export async function verifyForRelyingParty(
  services: VerifyServices,
  relyingPartyId: string,
  input: VerifyInput,
  clientAddress: string,
  limit?: VerifyLimit,
): Promise<VerifyResult> {
  const { otps, sessions, audit, accounts, devices, transaction, counters } = services;
  const hitInside = limit !== undefined && counters.joinsTransactions;
  if (limit && !hitInside) await reserve(counters, limit);
  // The key that signed: the consume checked the device is active, so its row is there; were it
  // not, the verification fails (and its consume rolls back) rather than answer without evidence.
  const evidenceOf = async (deviceId: string, signed: SignedTransaction, trx: Kysely<DatabaseSchema>) => {
    const publicKey = devicePublicJwk((await devices.find(deviceId, trx))?.public_key ?? "");
    if (!publicKey) throw new Error(`otp.verify: no key for device ${deviceId}`);
    return { ...signed, publicKey };
  };
  const event = { event: "otp.verify" as const, clientAddress };
  // Read before the OTP is consumed: a signing key that cannot be read leaves the OTP usable.
  const sign = input.assertion === "jws" ? await services.assertions.signerFor(relyingPartyId) : undefined;
  // The audit event of a valid verification, whichever path consumed the OTP.
  const succeeded = (accountId: string, found: ConsumedOtp) => ({
    ...event,
    outcome: "success" as const,
    accountId,
    deviceId: found.deviceId,
    detail: {
      relyingParty: relyingPartyId,
      factors: found.factors.join("+"),
      ...(found.transaction ? { transaction: found.transaction.digest } : {}),
    },
  });
  const answer = (
    principal: { accountId: string; login: string },
    consumed: ConsumedOtp,
    evidence?: Awaited<ReturnType<typeof evidenceOf>>,
  ) => {
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
  };
  const byToken = input.accessToken !== undefined ? await sessions.authenticate(input.accessToken) : undefined;
  if (services.engine === "postgres" && input.transaction === undefined && (byToken || input.account !== undefined)) {
    const accountId = byToken?.accountId ?? (input.account as string);
    const request = { accountId, otp: input.otp, context: input.context, transaction: undefined, relyingPartyId };
    const consumed = await consumeInOneStatement(services, request, clientAddress);
    if (consumed) {
      audit.appended(succeeded(accountId, consumed));
      return answer({ accountId, login: consumed.login }, consumed);
    }
  }
  const principal =
    input.accessToken !== undefined
      ? byToken
      : input.account !== undefined
        ? await sessions.account(input.account)
        : undefined;
  const outcome = await transaction(async (trx) => {
    if (limit && hitInside && (await counters.hit(limit.key, limit.windowMs, trx)) > limit.max) return "limited";
    if (!principal) {
      await audit.append({ ...event, outcome: "failure", detail: { relyingParty: relyingPartyId } }, trx);
      return undefined;
    }
    // The account's verifications run one at a time: a wrong one counts against each live OTP, and
    // an OTP that has faced the limit is voided. Nothing else is refused, so a token holder's junk
    // cannot block the user's next OTP, and valid ones in flight never crowd each other out.
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
        ? succeeded(principal.accountId, found)
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
  if (outcome === "limited") throw new PimsError(2383);
  if (!outcome || !principal) return { valid: false };
  return answer(principal, outcome, outcome.evidence);
}

/** The batch of each tenant's verifications on PostgreSQL ({@link ConsumeBatch}). */
const batches = new WeakMap<Otps, ConsumeBatch>();

/**
 * The verification's consume in one statement (PostgreSQL), with the others of the same turn
 * ({@link ConsumeBatch}): the account row locked (as `accounts.lockRow` does, before the OTP's
 * row), the OTP consumed, and its `success` audit row written, all or nothing, in the statement's
 * own transaction (the caller tells the audit's observer). `undefined` when no OTP was consumed (no
 * such account, a wrong or spent OTP, the account's lock held elsewhere): nothing was written for
 * it, and the caller's transaction then does what a failure does, the wrong guess counted and
 * audited.
 */
function consumeInOneStatement(
  services: VerifyServices,
  request: ConsumeRequest & { transaction: undefined },
  clientAddress: string,
): Promise<Consumed | undefined> {
  const { otps, db } = services;
  let batch = batches.get(otps);
  if (!batch) {
    batch = new ConsumeBatch(otps, db);
    batches.set(otps, batch);
  }
  return batch.consume(request, clientAddress);
}
