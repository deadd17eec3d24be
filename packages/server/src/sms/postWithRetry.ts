import { SmsDeliveryError } from "./SmsProvider.js";

export interface RetryPolicy {
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Further attempts after a network error, a 429 or a 5xx; a 4xx is final. */
  readonly retries: number;
}

/**
 * POSTs with a timeout per attempt and a bounded number of retries (200 ms, 400 ms, … apart).
 * Resolves the 2xx response; throws {@link SmsDeliveryError} for anything else.
 */
export async function postWithRetry(url: string, init: RequestInit, policy: RetryPolicy): Promise<Response> {
  let last: SmsDeliveryError = new SmsDeliveryError("not attempted");
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        method: "POST",
        redirect: "error",
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
    } catch (error) {
      last = new SmsDeliveryError(`operator unreachable: ${(error as Error).name}`);
      continue;
    }
    if (response.ok) return response;
    const detail = await response.text().catch(() => "");
    last = new SmsDeliveryError(`operator answered ${response.status}: ${detail.slice(0, 200)}`, response.status);
    if (response.status !== 429 && response.status < 500) break;
  }
  throw last;
}
