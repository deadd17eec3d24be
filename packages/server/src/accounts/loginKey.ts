/**
 * The uniqueness key of a built-in login: Unicode NFKC, then lower case, so `Alice` and
 * `ａｌｉｃｅ` are one login.
 */
export function loginKey(login: string): string {
  return login.normalize("NFKC").toLowerCase();
}
