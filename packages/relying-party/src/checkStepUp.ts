import { type Factor, labelFor, OTP_HEADER, type VerifyRequest, type VerifyResult } from "@pims/protocol";
import { PimsUnavailableError } from "./createVerifier.js";

/** What a protected route learns about a strongly authenticated request. */
export type StepUp = Extract<VerifyResult, { valid: true }>;

export interface StepUpOptions<R> {
  /** The context the OTP must have been asked for, computed from the request (e.g. a digest of its body). */
  readonly context?: (request: R) => string | undefined | Promise<string | undefined>;
  /** Factors the route demands: `["possession", "knowledge"]` accepts only OTPs obtained with the PIN. */
  readonly require?: readonly Factor[];
  /** Ask Pims for a signed assertion (`stepUp.assertion`) the route can hand to downstream services. */
  readonly assertion?: boolean;
}

/** An answer for the client: a Pims message in the vendor's shape. */
export interface Refusal {
  readonly status: number;
  readonly body: { transactionId: string; status: "FAILED"; error: { code: number; label: string } };
}

/**
 * The decision for one request: the verified step-up, or the refusal to send — 2302 when the OTP
 * is missing, invalid, already used, expired, of another context, or proves too few factors; 2301
 * when the request has no bearer token; 2204 (503) when Pims cannot be asked (fail closed).
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
  try {
    const context = options.context ? await options.context(request) : undefined;
    result = await verify({
      otp,
      accessToken,
      ...(context === undefined ? {} : { context }),
      ...(options.assertion ? { assertion: "jws" as const } : {}),
    });
  } catch (error) {
    if (error instanceof PimsUnavailableError) return refuse(503, 2204);
    throw error;
  }
  if (!result.valid) return refuse(401, 2302);
  const required = options.require ?? ["possession"];
  if (!required.every((factor) => result.factors.includes(factor))) return refuse(401, 2302);
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
