import {
  canonicalTransaction,
  type Factor,
  labelFor,
  OTP_HEADER,
  type VerifyRequest,
  type VerifyResult,
} from "@pims/protocol";
import { PimsUnavailableError } from "./createVerifier.js";
import { verifyTransactionEvidence } from "./verifyTransactionEvidence.js";

/** What a protected route learns about a strongly authenticated request. */
export type StepUp = Extract<VerifyResult, { valid: true }>;

export interface StepUpOptions<R> {
  /** The context the OTP must have been asked for, computed from the request (e.g. a digest of its body). */
  readonly context?: (request: R) => string | undefined | Promise<string | undefined>;
  /**
   * Or: the transaction the request performs, e.g. `{ type: "vehicle.unlock", vin }` (decision
   * 0025). The OTP must have been asked for the identical transaction, and its evidence (the
   * device's signature) is checked here with WebCrypto before the route runs. Not with `context`.
   */
  readonly transaction?: (request: R) => object | undefined | Promise<object | undefined>;
  /** Factors the route demands: `["possession", "knowledge"]` accepts only OTPs obtained with the PIN. */
  readonly require?: readonly Factor[];
}

/** An answer for the client: a Pims message in the vendor's shape. */
export interface Refusal {
  readonly status: number;
  readonly body: { transactionId: string; status: "FAILED"; error: { code: number; label: string } };
}

/**
 * The decision for one request: the verified step-up, or the refusal to send — 2302 when the OTP
 * is missing, invalid, already used, expired, of another context or transaction, proves too few
 * factors, or its transaction evidence does not verify; 2301 when the request has no bearer token;
 * 2204 (503) when Pims cannot be asked (fail closed). A `transaction` that is not one (a float, no
 * `type`) is the route's mistake: a TypeError.
 */
export async function checkStepUp<R>(
  request: R,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  verify: (input: VerifyRequest) => Promise<VerifyResult>,
  options: StepUpOptions<R>,
): Promise<{ ok: true; stepUp: StepUp } | { ok: false; refusal: Refusal }> {
  const otp = single(headers[OTP_HEADER]);
  const accessToken = /^Bearer (\S+)$/i.exec(single(headers.authorization) ?? "")?.[1];
  if (accessToken === undefined) return refuse(401, 2301);
  if (otp === undefined || otp === "") return refuse(401, 2302);
  let result: VerifyResult;
  const transaction = options.transaction ? await options.transaction(request) : undefined;
  if (transaction !== undefined && canonicalTransaction(transaction) === undefined) {
    throw new TypeError("@pims/relying-party: the route's transaction is not a valid transaction (decision 0025)");
  }
  try {
    const context = options.context ? await options.context(request) : undefined;
    result = await verify({
      otp,
      accessToken,
      ...(context === undefined ? {} : { context }),
      ...(transaction === undefined ? {} : { transaction }),
    });
  } catch (error) {
    if (error instanceof PimsUnavailableError) return refuse(503, 2204);
    throw error;
  }
  if (!result.valid) return refuse(401, 2302);
  const required = options.require ?? ["possession"];
  if (!required.every((factor) => result.factors.includes(factor))) return refuse(401, 2302);
  if (transaction !== undefined) {
    const expected = { transaction, account: result.account.id, device: result.device };
    const evidence = result.transaction && (await verifyTransactionEvidence(result.transaction, expected));
    if (!evidence?.valid) return refuse(401, 2302);
  }
  return { ok: true, stepUp: result };
}

function refuse(status: number, code: number): { ok: false; refusal: Refusal } {
  return {
    ok: false,
    refusal: {
      status,
      body: { transactionId: crypto.randomUUID(), status: "FAILED", error: { code, label: labelFor(code) } },
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
