import type { Factor } from "./relyingParty.js";

/**
 * Step-up as RFC 9470 (OAuth 2.0 Step Up Authentication Challenge) says it, with Pims' levels.
 *
 * A protected route names the assurance level it requires as an ACR value, and optionally how
 * recent the user's authentication must be (`max_age`, seconds). When a request falls short, the
 * route answers `401` with the vendor's 2302 body *and* a `WWW-Authenticate: Bearer` challenge
 * carrying `error="insufficient_user_authentication"`, `acr_values` and `max_age`.
 */

/** The assurance levels of a Pims step-up: the device key alone (S16), or the device key and the PIN (S15). */
export const ACR = {
  possession: "pims:possession",
  possessionAndKnowledge: "pims:possession+knowledge",
} as const;

export type Acr = (typeof ACR)[keyof typeof ACR];

/** The level the factors of a verified OTP reach. */
export function acrOf(factors: readonly Factor[]): Acr {
  return factors.includes("knowledge") ? ACR.possessionAndKnowledge : ACR.possession;
}

/** The factors a level demands. */
export function factorsOf(acr: Acr): readonly Factor[] {
  return acr === ACR.possessionAndKnowledge ? ["possession", "knowledge"] : ["possession"];
}

/**
 * RFC 8176 authentication method references a Pims step-up reports: `swk` (proof of possession of
 * a software-secured key: Pims cannot attest where the device keeps its key), `pin`, `mfa` (both),
 * and `sms` for a while after an SMS recovery of the PIN (S13, or S12 then a new enrollment): then
 * the knowledge factor rests on the phone number, and a relying party may refuse it.
 */
export type AuthenticationMethod = "swk" | "pin" | "mfa" | "sms";

/** The `error` of RFC 9470 §3. */
export const INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication";

export interface StepUpChallenge {
  /** ACR values the route accepts, most preferred first. */
  readonly acrValues: readonly string[];
  /** Maximum age of the authentication, in seconds. */
  readonly maxAge?: number;
  readonly description?: string;
}

/**
 * The `WWW-Authenticate` value of a step-up challenge (RFC 9470 §3).
 *
 * @example
 * formatStepUpChallenge({ acrValues: ["pims:possession+knowledge"], maxAge: 300 })
 * // 'Bearer error="insufficient_user_authentication", error_description="…", acr_values="pims:possession+knowledge", max_age="300"'
 */
export function formatStepUpChallenge(challenge: StepUpChallenge): string {
  const description =
    challenge.description ?? "A stronger or more recent authentication is required: confirm with this device";
  const parts = [
    `error="${INSUFFICIENT_USER_AUTHENTICATION}"`,
    `error_description="${quoted(description)}"`,
    `acr_values="${quoted(challenge.acrValues.join(" "))}"`,
    ...(challenge.maxAge === undefined ? [] : [`max_age="${challenge.maxAge}"`]),
  ];
  return `Bearer ${parts.join(", ")}`;
}

/** A token68 (RFC 9110 §11.2) that ends its challenge: followed by a comma or the end. */
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*[ \t]*(?=,|$)/y;

/** One challenge of a `WWW-Authenticate` header: its scheme and auth-params (names lower-cased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1): schemes with
 * auth-params (token or quoted-string values), several challenges separated by commas. A
 * `token68` challenge keeps it under `token68`. Malformed input yields what parsed before it.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  // Sticky expressions read from `at` on: linear in the header's length, whatever it holds.
  const scheme = /[\s,]*([!#$%&'*+.^_`|~\w-]+)/y;
  const token68 = /[ \t]+([\w.~+/-]+=*)[ \t]*(?:,|$)/y;
  const param = /[\s,]*([!#$%&'*+.^_`|~\w-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~\w-]+))[ \t]*/y;
  let at = 0;
  const read = (pattern: RegExp) => {
    pattern.lastIndex = at;
    const match = pattern.exec(header);
    if (match) at = pattern.lastIndex;
    return match;
  };
  for (let found = read(scheme); found; found = read(scheme)) {
    const params: Record<string, string> = {};
    const blob = read(token68);
    if (blob)
      params.token68 = blob[1] as string; // e.g. Basic dXNlcg==
    else
      for (let p = read(param); p; p = read(param)) {
        params[(p[1] as string).toLowerCase()] = p[3] ?? (p[2] as string).replace(/\\(.)/g, "$1");
      }
    challenges.push({ scheme: found[1] as string, params });
  }
  return challenges;
}

/** The step-up challenge of a `WWW-Authenticate` value, if it carries one (RFC 9470). */
export function readStepUpChallenge(header: string | null | undefined): StepUpChallenge | undefined {
  if (!header) return undefined;
  const bearer = parseWwwAuthenticate(header).find(
    (c) => c.scheme.toLowerCase() === "bearer" && c.params.error === INSUFFICIENT_USER_AUTHENTICATION,
  );
  if (!bearer) return undefined;
  // Digits only (RFC 9470: seconds): Number() would also read "", "0x10", "1e3" or " 5 ".
  const maxAge = /^[0-9]{1,15}$/.test(bearer.params.max_age ?? "") ? Number(bearer.params.max_age) : undefined;
  return {
    acrValues: (bearer.params.acr_values ?? "").split(" ").filter((v) => v !== ""),
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(bearer.params.error_description === undefined ? {} : { description: bearer.params.error_description }),
  };
}

/** A quoted-string's content (RFC 9110 §5.6.4): `\` and `"` escaped, control characters (CR, LF, NUL…) made spaces. */
function quoted(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point.
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, " ").replace(/[\\"]/g, (c) => `\\${c}`);
}
