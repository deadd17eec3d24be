import { RELYING_PARTY_PATHS, type VerifyRequest, type VerifyResult } from "@pims/protocol";

export interface VerifierOptions {
  /** Base URL of the Pims server. */
  readonly pimsUrl: string;
  /** This relying party's API key (`prk_…`), created by a Pims administrator. */
  readonly apiKey: string;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** Pims could not be asked (unreachable, timeout, an answer that is not a verification). */
export class PimsUnavailableError extends Error {
  override readonly name = "PimsUnavailableError";
}

/**
 * A function that verifies (and consumes) an OTP with Pims.
 *
 * @example
 * const verify = createVerifier({ pimsUrl: "https://pims.example.com", apiKey: process.env.PIMS_RP_KEY });
 * const result = await verify({ otp, accessToken, context });
 * if (result.valid) console.log(result.account.id, result.factors);
 */
export function createVerifier(options: VerifierOptions): (request: VerifyRequest) => Promise<VerifyResult> {
  const url = new URL(
    RELYING_PARTY_PATHS.verify.slice(1),
    options.pimsUrl.endsWith("/") ? options.pimsUrl : `${options.pimsUrl}/`,
  );
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return async (request) => {
    let response: Response;
    let body: unknown;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.apiKey}` },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      body = await response.json();
    } catch (error) {
      throw new PimsUnavailableError(`Pims verification failed: ${(error as Error).name}`);
    }
    const answer = body as { status?: string; result?: VerifyResult; error?: { code?: number } };
    if (answer.status === "SUCCEEDED" && typeof answer.result?.valid === "boolean") return answer.result;
    if (answer.status === "FAILED" && answer.error?.code === 2102) return { valid: false };
    throw new PimsUnavailableError(
      `Pims refused the verification (HTTP ${response.status}, code ${answer.error?.code})`,
    );
  };
}
