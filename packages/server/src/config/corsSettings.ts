import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import type { EnvReader } from "./readEnv.js";

/** Browsers cap a preflight's cache (Chromium at 2 hours); longer would only be ignored. */
export const CORS_MAX_AGE_DEFAULT = 7200;

/**
 * `PIMS_CORS_ORIGINS`: the exact origins (`https://app.example`, port included when not the
 * default) whose pages may call Pims from a browser. No wildcard: an origin is named or refused.
 * In production an origin must be `https:` unless it is a loopback address.
 */
export function corsSettings(read: EnvReader, mode: Config["mode"]): Config["cors"] {
  const origins = read.list("PIMS_CORS_ORIGINS").map((value) => exactOrigin(value, mode));
  return {
    origins: [...new Set(origins)],
    maxAgeSeconds: read.integer("PIMS_CORS_MAX_AGE", CORS_MAX_AGE_DEFAULT, 0, 86_400),
  };
}

/**
 * `value` as an exact origin, or a {@link ConfigError} naming `setting` (the variable, or a tenant's
 * `cors.origins` and its line in the tenants file).
 */
export function exactOrigin(value: string, mode: Config["mode"], setting = "PIMS_CORS_ORIGINS"): string {
  const refuse = (why: string) =>
    new ConfigError(`${setting} takes exact origins such as https://app.example.com, got "${value}": ${why}`);
  if (value.includes("*")) throw refuse("wildcards are not allowed, name each origin");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse("not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("the scheme must be https: or http:");
  // An origin is scheme, host and port, nothing else: a path, a slash or credentials mean a typo.
  if (url.origin !== value.toLowerCase()) throw refuse(`not an exact origin (did you mean ${url.origin}?)`);
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (mode === "production" && url.protocol === "http:" && !loopback) {
    throw refuse("in production an origin must be https: (a page served over http can be rewritten in transit)");
  }
  return url.origin;
}
