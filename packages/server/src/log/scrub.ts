const DIGIT_RUNS = /\+?\d[\d .-]{2,}\d/g;
const BEARERS = /\b(p[a-z]{1,3}_)[A-Za-z0-9_-]{8,}/g;
const JWTS = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/**
 * Removes what could be a secret or a phone number from free text before it reaches a log:
 * runs of four or more digits (PINs, codes, OTPs, numbers), Pims bearer tokens and JWTs.
 * A safety net under the rule that secrets are never put in log fields in the first place.
 *
 * @example
 * scrub('Unexpected token in JSON: {"pinCode":"1234"}') // 'Unexpected token in JSON: {"pinCode":"[digits]"}'
 */
export function scrub(text: string): string {
  return text
    .replace(BEARERS, "$1[redacted]")
    .replace(JWTS, "[jwt]")
    .replace(DIGIT_RUNS, (run) => (run.replace(/\D/g, "").length >= 4 ? "[digits]" : run));
}
