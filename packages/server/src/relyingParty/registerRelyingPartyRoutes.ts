import { isPlainObject, normalizeValue, OTP_FORMAT, RELYING_PARTY_PATHS, type VerifyResult } from "@pims/protocol";
import type { FastifyInstance } from "fastify";
import { lockAccountRow } from "../db/lockAccountRow.js";
import { bearerOf } from "../http/authenticate.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";

/**
 * `POST /v1/rp/verify`: a relying party (its API key as bearer) verifies an OTP for an account
 * (by id, or by the access token the client called it with) and, when asked, a context. A valid
 * OTP is consumed. Limits: verifications per relying party per minute (reserved atomically), and
 * wrong guesses per live OTP (then the account's live OTPs are voided; nothing after is refused).
 * Every verification is audited.
 */
export function registerRelyingPartyRoutes(app: FastifyInstance, services: Services): void {
  const { relyingParties, counters, config } = services;

  app.post(RELYING_PARTY_PATHS.verify, { config: { operation: "rp.verify" } }, async (request) => {
    const key = bearerOf(request);
    const relyingParty = key === undefined ? undefined : await relyingParties.authenticate(key);
    if (!relyingParty) throw new PimsError(2301);
    if ((await counters.hit(`rp:${relyingParty.id}`, 60_000)) > config.relyingParties.maxPerMinute) {
      throw new PimsError(2383);
    }
    const result = await verifyForRelyingParty(services, relyingParty.id, readVerifyRequest(request.body), request.ip);
    return { status: "SUCCEEDED", result };
  });
}

/**
 * Verifies (and consumes) an OTP for a relying party: the account by access token or id, the
 * atomic consume, the guessing limit per live OTP, the audit.
 */
export async function verifyForRelyingParty(
  services: Services,
  relyingPartyId: string,
  input: { otp: string; account?: string; accessToken?: string; context?: string },
  clientAddress: string,
): Promise<VerifyResult> {
  const { otps, sessions, audit, db } = services;
  const principal =
    input.accessToken !== undefined
      ? await sessions.authenticate(input.accessToken)
      : await sessions.account(input.account as string);
  const event = { event: "otp.verify" as const, clientAddress };
  if (!principal) {
    await audit.append({ ...event, outcome: "failure", detail: { relyingParty: relyingPartyId } });
    return { valid: false };
  }
  // The account's verifications run one at a time: a wrong one counts against each live OTP, and
  // an OTP that has faced the limit is voided. Nothing else is refused, so a token holder's junk
  // cannot block the user's next OTP, and valid ones in flight never crowd each other out.
  const consumed = await db.transaction().execute(async (trx) => {
    await lockAccountRow(trx, services.engine, principal.accountId);
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
  return {
    valid: true,
    account: { id: principal.accountId, username: principal.login },
    device: consumed.deviceId,
    factors: consumed.factors,
    issuedAt: consumed.issuedAt,
  };
}

function readVerifyRequest(body: unknown): { otp: string; account?: string; accessToken?: string; context?: string } {
  if (!isPlainObject(body)) throw new PimsError(2102, { parameter: "body" });
  const { otp, account, accessToken, context } = body;
  if (otp === undefined || otp === null || otp === "") throw new PimsError(2101, { parameter: "otp" });
  const digits = normalizeValue(OTP_FORMAT, otp);
  if (digits === undefined) throw new PimsError(2102, { parameter: "otp" });
  const hasAccount = typeof account === "string" && account !== "";
  const hasToken = typeof accessToken === "string" && accessToken !== "";
  if (!hasAccount && !hasToken) throw new PimsError(2101, { parameter: "account" });
  if ((hasAccount && hasToken) || (account !== undefined && !hasAccount) || (accessToken !== undefined && !hasToken)) {
    throw new PimsError(2102, { parameter: "account" });
  }
  if (context !== undefined && (typeof context !== "string" || context.length > 256)) {
    throw new PimsError(2102, { parameter: "context" });
  }
  return {
    otp: digits,
    ...(hasAccount ? { account: account as string } : {}),
    ...(hasToken ? { accessToken: accessToken as string } : {}),
    ...(context !== undefined ? { context: context as string } : {}),
  };
}
