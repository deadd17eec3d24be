import {
  ACR,
  type Acr,
  acrOf,
  canonicalTransaction,
  type Factor,
  factorsOf,
  formatStepUpChallenge,
  labelFor,
  OTP_HEADER,
  type VerifyRequest,
  type VerifyResult,
} from "@pims/protocol";
import { PimsUnavailableError } from "./createVerifier.js";
import { verifyTransactionEvidence } from "./verifyTransactionEvidence.js";

/**
 * How far a transaction's device signature may be from now, in seconds: an OTP lives at most 900 s
 * (`PIMS_OTP_TTL`'s bound) and Pims accepts a device's timestamp within 300 s of its clock. Older
 * (or later) evidence is not this request's, whoever answered the verification.
 */
const EVIDENCE_MAX_AGE_SECONDS = 900 + 300;
const EVIDENCE_MAX_AHEAD_SECONDS = 300;

/** What a protected route learns about a strongly authenticated request. */
export type StepUp = Extract<VerifyResult, { valid: true }>;

export interface StepUpOptions<R> {
  /** The context the OTP must have been asked for, computed from the request (e.g. a digest of its body). */
  readonly context?: (request: R) => string | undefined | Promise<string | undefined>;
  /**
   * Or: the transaction the request performs, e.g. `{ type: "vehicle.unlock", vin }` (decision
   * 0025). The OTP must have been asked for the identical transaction, and its evidence (the
   * device's signature) is checked here with WebCrypto before the route runs. Not with `context`.
   * It must give a transaction for every request: `undefined` would let an OTP bound to none pass,
   * so it is the route's mistake (a TypeError), like a value that is not a transaction.
   */
  readonly transaction?: (request: R) => object | Promise<object>;
  /** Factors the route demands: `["possession", "knowledge"]` accepts only OTPs obtained with the PIN. */
  readonly require?: readonly Factor[];
  /**
   * The assurance level the route demands, as RFC 9470 names it (`pims:possession`,
   * `pims:possession+knowledge`): the same as `require` with the factors of that level, and what the
   * challenge's `acr_values` says. When both are given, both must hold.
   */
  readonly acr?: Acr;
  /**
   * How recent the user's proof must be, in seconds (RFC 9470 `max_age`): an OTP whose factors
   * were proven longer ago is refused, and the challenge says `max_age`.
   */
  readonly maxAge?: number;
  /** The clock the age is read on (epoch ms); default `Date.now`. */
  readonly now?: () => number;
  /** Ask Pims for a signed assertion (`stepUp.assertion`) the route can hand to downstream services. */
  readonly assertion?: boolean;
}

/**
 * Throws a `TypeError` for step-up options that would fail open: a `maxAge` that is not a
 * non-negative finite number (`Number("5m")` is NaN, and no age is greater than NaN), an `acr`
 * that is not one of {@link ACR} (a misspelled level would demand only possession), a `require`
 * with an unknown factor. The middlewares call it when a route is declared.
 */
export function checkStepUpOptions<R>(options: StepUpOptions<R>): void {
  const { maxAge, acr } = options;
  // Whole seconds: RFC 9470's max_age is a non-negative integer, and the SDK reads only digits.
  if (maxAge !== undefined && !(typeof maxAge === "number" && Number.isSafeInteger(maxAge) && maxAge >= 0)) {
    throw new TypeError(`@pims/relying-party: maxAge must be a whole number of seconds, 0 or more: ${String(maxAge)}`);
  }
  if (acr !== undefined && !Object.values(ACR).includes(acr)) {
    throw new TypeError(`@pims/relying-party: acr must be one of ${Object.values(ACR).join(", ")}: ${String(acr)}`);
  }
  if (options.require?.some((factor) => factor !== "possession" && factor !== "knowledge")) {
    throw new TypeError(`@pims/relying-party: require lists factors "possession" and "knowledge" only`);
  }
}

/** An answer for the client: a Pims message in the vendor's shape, and the headers to send with it. */
export interface Refusal {
  readonly status: number;
  /** `WWW-Authenticate` on 401: a bare `Bearer` for 2301, the RFC 9470 step-up challenge for 2302. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { transactionId: string; status: "FAILED"; error: { code: number; label: string } };
}

/**
 * The decision for one request: the verified step-up, or the refusal to send — 2302 when the OTP
 * is missing, invalid, already used, expired, of another context or transaction, proves too few
 * factors, is older than `maxAge`, or its transaction evidence does not verify or was signed more
 * than 20 minutes from now (the longest OTP lifetime plus the device clock skew Pims accepts); 2301 when the
 * request has no bearer token; 2204 (503) when Pims cannot be asked (fail closed). A 2302 carries
 * the RFC 9470 challenge: `WWW-Authenticate: Bearer error="insufficient_user_authentication",
 * acr_values=…` (and `max_age` when the route sets it). A `transaction` that is not one (a float,
 * no `type`, none at all) is the route's mistake: a TypeError, before the OTP is spent.
 */
export async function checkStepUp<R>(
  request: R,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  verify: (input: VerifyRequest) => Promise<VerifyResult>,
  options: StepUpOptions<R>,
): Promise<{ ok: true; stepUp: StepUp } | { ok: false; refusal: Refusal }> {
  checkStepUpOptions(options);
  const otp = single(headers[OTP_HEADER]);
  const accessToken = /^Bearer (\S+)$/i.exec(single(headers.authorization) ?? "")?.[1];
  const required = [
    ...new Set([...(options.require ?? ["possession"]), ...(options.acr ? factorsOf(options.acr) : [])]),
  ];
  const acr = options.acr ?? acrOf(required);
  const challenge = {
    "www-authenticate": formatStepUpChallenge({
      acrValues: [acr],
      ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
    }),
  };
  if (accessToken === undefined) return refuse(401, 2301, { "www-authenticate": "Bearer" });
  if (otp === undefined || otp === "") return refuse(401, 2302, challenge);
  let result: VerifyResult;
  const transaction = options.transaction ? await options.transaction(request) : undefined;
  if (options.transaction && canonicalTransaction(transaction) === undefined) {
    throw new TypeError("@pims/relying-party: the route's transaction is not a valid transaction (decision 0025)");
  }
  try {
    const context = options.context ? await options.context(request) : undefined;
    result = await verify({
      otp,
      accessToken,
      ...(context === undefined ? {} : { context }),
      ...(transaction === undefined ? {} : { transaction }),
      ...(options.assertion ? { assertion: "jws" as const } : {}),
    });
  } catch (error) {
    if (error instanceof PimsUnavailableError) return refuse(503, 2204, {});
    throw error;
  }
  if (!result.valid) return refuse(401, 2302, challenge);
  if (!required.every((factor) => result.factors.includes(factor))) return refuse(401, 2302, challenge);
  if (options.maxAge !== undefined) {
    // The OTP's issue is when its factors were proven; its own lifetime bounds the age anyway.
    const ageMs = (options.now ?? Date.now)() - (result.authTime ?? result.issuedAt);
    if (ageMs > options.maxAge * 1000) return refuse(401, 2302, challenge);
  }
  if (transaction !== undefined) {
    const expected = { transaction, account: result.account.id, device: result.device };
    const evidence = result.transaction && (await verifyTransactionEvidence(result.transaction, expected));
    if (!evidence?.valid) return refuse(401, 2302, challenge);
    const signedAgoMs = (options.now ?? Date.now)() - evidence.signedAt;
    if (signedAgoMs > EVIDENCE_MAX_AGE_SECONDS * 1000 || signedAgoMs < -EVIDENCE_MAX_AHEAD_SECONDS * 1000) {
      return refuse(401, 2302, challenge);
    }
  }
  return { ok: true, stepUp: result };
}

function refuse(status: number, code: number, headers: Record<string, string>): { ok: false; refusal: Refusal } {
  return {
    ok: false,
    refusal: {
      status,
      headers,
      body: { transactionId: crypto.randomUUID(), status: "FAILED", error: { code, label: labelFor(code) } },
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
