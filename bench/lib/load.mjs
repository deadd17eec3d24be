import autocannon from "autocannon";

/**
 * A fixed-concurrency, fixed-duration HTTP load with autocannon. `next(i)` returns the body (and
 * optional headers) of the i-th request, so each request can carry its own OTP or login.
 */
export async function httpLoad({ url, path, connections, seconds, headers = {}, next, amount }) {
  let i = 0;
  const result = await autocannon({
    url: `${url}${path}`,
    connections,
    // With `amount`, the run ends after that many requests (or `seconds`, whichever comes first).
    ...(amount ? { amount } : { duration: seconds }),
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    requests: [
      {
        setupRequest(request) {
          const { body, headers: extra } = next(i++);
          return { ...request, body, headers: { ...request.headers, ...(extra ?? {}) } };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Thrown by an iteration when its fixtures are used up: the worker stops (it is not a failure). */
export class Exhausted extends Error {}

/**
 * A fixed-concurrency, fixed-duration load whose unit is an SDK call (signed requests cannot be
 * replayed, so a generic load generator cannot send them): `iteration(worker)` resolves true on
 * success.
 */
export async function sdkLoad({ concurrency, seconds, iteration }) {
  const latencies = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t = performance.now();
        let ok;
        try {
          ok = await iteration(worker);
        } catch (error) {
          if (error instanceof Exhausted) return;
          ok = false;
        }
        latencies.push(performance.now() - t);
        if (!ok) failures++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    rps: (latencies.length - failures) / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    requests: latencies.length,
    failures,
  };
}
