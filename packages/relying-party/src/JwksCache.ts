import { JWKS_PATH } from "@pims/protocol";
import { PimsUnavailableError } from "./createVerifier.js";

/** At most this many keys are kept from one JWK Set, and this many sets (Pims URLs) at once. */
const MAX_KEYS = 16;
const MAX_SETS = 32;

export interface JwksOptions {
  /** Longest a JWK Set is reused, whatever its `Cache-Control` says. Default 600 s. */
  readonly maxCacheSeconds?: number;
  /** Shortest time between two fetches caused by an unknown `kid`. Default 5000 ms. */
  readonly refetchIntervalMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

interface CachedSet {
  readonly keys: ReadonlyMap<string, CryptoKey>;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

const sets = new Map<string, CachedSet>();

/**
 * The verification key of `kid` from Pims' JWK Set, fetched and cached for its `max-age` (bounded,
 * and never less than `refetchIntervalMs`);
 * an unknown `kid` refetches the set once, at most every `refetchIntervalMs`. `undefined` when the
 * set, fresh, does not hold it. Only P-256 keys for ES256 are kept.
 */
export async function jwksKey(pimsUrl: URL, kid: string, options: JwksOptions = {}): Promise<CryptoKey | undefined> {
  const now = (options.now ?? Date.now)();
  const url = new URL(JWKS_PATH.slice(1), pimsUrl).href;
  let set = sets.get(url);
  if (!set || set.expiresAt <= now) set = await refresh(url, options, now);
  const key = set.keys.get(kid);
  if (key || now - set.fetchedAt < (options.refetchIntervalMs ?? 5_000)) return key;
  return (await refresh(url, options, now)).keys.get(kid);
}

/** Fetches in flight, by URL: verifications that need the same set at once share one fetch. */
const inflight = new Map<string, Promise<CachedSet>>();

function refresh(url: string, options: JwksOptions, now: number): Promise<CachedSet> {
  const running = inflight.get(url);
  if (running) return running;
  const pending = fetchSet(url, options, now)
    .then((set) => {
      if (sets.size >= MAX_SETS && !sets.has(url)) sets.delete(sets.keys().next().value as string);
      sets.set(url, set);
      return set;
    })
    .finally(() => inflight.delete(url));
  inflight.set(url, pending);
  return pending;
}

async function fetchSet(url: string, options: JwksOptions, now: number): Promise<CachedSet> {
  let response: Response;
  let body: { keys?: unknown };
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      // The keys come from Pims' own URL: a redirect (a hijacked proxy, an open redirect) is not followed.
      redirect: "error",
    });
    body = (await response.json()) as { keys?: unknown };
  } catch (error) {
    throw new PimsUnavailableError(`JWK Set ${url}: ${(error as Error).name}`, "Pims unreachable");
  }
  if (!response.ok || !Array.isArray(body.keys)) {
    throw new PimsUnavailableError(`JWK Set ${url}: HTTP ${response.status}, not a JWK Set`, "Pims error");
  }
  const keys = new Map<string, CryptoKey>();
  for (const jwk of body.keys.slice(0, MAX_KEYS) as Record<string, unknown>[]) {
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || (jwk.alg ?? "ES256") !== "ES256" || typeof jwk.kid !== "string")
      continue;
    const { kty, crv, x, y } = jwk;
    const key = await crypto.subtle
      .importKey("jwk", { kty, crv, x, y } as JsonWebKey, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
      .catch(() => undefined);
    if (key) keys.set(jwk.kid, key);
  }
  const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get("cache-control") ?? "")?.[1] ?? 0);
  const seconds = Math.min(maxAge, options.maxCacheSeconds ?? 600);
  // Kept at least for the refetch interval, whatever the header (none, no-store, max-age=0 from a
  // proxy): otherwise every assertion, junk ones included, would fetch the set again.
  return { keys, fetchedAt: now, expiresAt: now + Math.max(seconds * 1000, options.refetchIntervalMs ?? 5_000) };
}
