import { RELYING_PARTY_PATHS, type VerifyRequest, type VerifyResult } from "@pims/protocol";

/** Why Pims could not verify: each calls for a different fix. */
export type PimsFailureKind = "key refused" | "Pims unreachable" | "Pims error";

/** Where the kit reports failures: `console`, a pino or Fastify logger, anything with `warn`. */
export interface RelyingPartyLogger {
  warn(message: string): unknown;
}

export interface VerifierOptions {
  /** Base URL of the Pims server. */
  readonly pimsUrl: string;
  /** This relying party's API key (`prk_…`), created by a Pims administrator. Required. */
  readonly apiKey: string;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Told, at most once per `logIntervalMs` for each kind, when a verification could not be made:
   * "key refused" (missing or revoked key: fix the configuration), "Pims unreachable" (network,
   * timeout), "Pims error" (Pims answered, but not a verification). Never the key, token or OTP.
   * Default: `console`.
   */
  readonly logger?: RelyingPartyLogger;
  /** Default 60000 ms. */
  readonly logIntervalMs?: number;
}

/** Pims could not be asked (unreachable, timeout, an answer that is not a verification). */
export class PimsUnavailableError extends Error {
  override readonly name = "PimsUnavailableError";
  constructor(
    message: string,
    /** Which failure it is. */
    readonly kind: PimsFailureKind = "Pims error",
  ) {
    super(message);
  }
}

const FIX: Readonly<Record<PimsFailureKind, string>> = {
  "key refused":
    "Pims refused this relying party's API key (unknown or revoked): create one with `pims admin rp create` and set it",
  "Pims unreachable": "Pims could not be reached",
  "Pims error": "Pims answered, but not with a verification",
};

/** Checks the options a verifier is created with; throws a TypeError that says what is wrong. */
export function checkVerifierOptions(options: VerifierOptions): URL {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("@pims/relying-party: options { pimsUrl, apiKey } are required");
  }
  if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
    throw new TypeError(
      "@pims/relying-party: apiKey is missing (the relying party's key, prk_…, from `pims admin rp create`); every protected call would answer 503/2204",
    );
  }
  return new URL(RELYING_PARTY_PATHS.verify.slice(1), pimsBaseUrl(options.pimsUrl));
}

/** The Pims base URL, ending in `/`; throws a TypeError when it is not an http(s) URL. */
export function pimsBaseUrl(pimsUrl: string): URL {
  let base: URL;
  try {
    base = new URL(pimsUrl.endsWith("/") ? pimsUrl : `${pimsUrl}/`);
  } catch {
    throw new TypeError(`@pims/relying-party: pimsUrl is not a URL: ${String(pimsUrl)}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError("@pims/relying-party: pimsUrl must be http or https");
  }
  return base;
}

/**
 * A function that verifies (and consumes) an OTP with Pims. Throws at creation when the API key is
 * missing or `pimsUrl` is not a URL.
 *
 * @example
 * const verify = createVerifier({ pimsUrl: "https://pims.example.com", apiKey: process.env.PIMS_RP_KEY ?? "" });
 * const result = await verify({ otp, accessToken, context });
 * if (result.valid) console.log(result.account.id, result.factors);
 */
export function createVerifier(options: VerifierOptions): (request: VerifyRequest) => Promise<VerifyResult> {
  const url = checkVerifierOptions(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const report = failureReporter(options.logger ?? console, options.logIntervalMs ?? 60_000, url.origin);
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
    } catch (error) {
      throw report(new PimsUnavailableError(`${(error as Error).name}`, "Pims unreachable"));
    }
    try {
      body = await response.json();
    } catch (error) {
      throw report(new PimsUnavailableError(`HTTP ${response.status}, ${(error as Error).name}`, "Pims error"));
    }
    const answer = body as { status?: string; result?: VerifyResult; error?: { code?: number } };
    if (answer.status === "SUCCEEDED" && typeof answer.result?.valid === "boolean") return answer.result;
    if (answer.status === "FAILED" && answer.error?.code === 2102) return { valid: false };
    const kind: PimsFailureKind =
      answer.status === "FAILED" && answer.error?.code === 2301 ? "key refused" : "Pims error";
    throw report(new PimsUnavailableError(`HTTP ${response.status}, code ${answer.error?.code}`, kind));
  };
}

/** Logs a failure the first time in each interval for its kind, with the count of the others. */
function failureReporter(logger: RelyingPartyLogger, intervalMs: number, origin: string) {
  const state = new Map<PimsFailureKind, { loggedAt: number; unlogged: number }>();
  return (error: PimsUnavailableError): PimsUnavailableError => {
    const now = Date.now();
    const seen = state.get(error.kind);
    if (seen && now - seen.loggedAt < intervalMs) {
      seen.unlogged += 1;
      return error;
    }
    const since = seen && seen.unlogged > 0 ? ` (${seen.unlogged} more since the last report)` : "";
    state.set(error.kind, { loggedAt: now, unlogged: 0 });
    try {
      logger.warn(
        `@pims/relying-party: ${error.kind}: ${FIX[error.kind]} (${origin}: ${error.message}); protected routes answer 503/2204${since}`,
      );
    } catch {
      // A failing logger must not change the answer.
    }
    return error;
  };
}
