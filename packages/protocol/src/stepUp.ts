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
 * and `sms` when the PIN in force was set by an SMS-code reset (S13): then the knowledge factor
 * rests on the phone number, and a relying party may refuse it.
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
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i] as string)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    while (i < n && header[i] === ",") {
      i++;
      skipSpace();
    }
    const scheme = token();
    if (scheme === "") break;
    const current = { scheme, params: {} as Record<string, string> };
    challenges.push(current);
    skipSpace();
    // auth-params: name = value, separated by commas, until a token not followed by "=".
    for (;;) {
      const mark = i;
      skipSpace();
      if (Object.keys(current.params).length === 0) {
        // A token68 standing alone (e.g. `Basic dXNlcg==`, `Negotiate …==`): its "=" padding and
        // "/" are not token characters, so read as a name it would end the parse there.
        TOKEN68.lastIndex = i;
        if (TOKEN68.test(header)) {
          current.params.token68 = header.slice(i, TOKEN68.lastIndex).trimEnd();
          i = TOKEN68.lastIndex;
          if (header[i] === ",") i++;
          continue;
        }
      }
      const name = token();
      skipSpace();
      if (name === "" || header[i] !== "=") {
        if (name !== "" && Object.keys(current.params).length === 0 && /^[A-Za-z0-9._~+/-]+=*$/.test(name)) {
          current.params.token68 = name; // e.g. Basic dXNlcg==
          skipSpace();
          if (header[i] === ",") i++;
          continue;
        }
        i = mark;
        break;
      }
      i++; // "="
      skipSpace();
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        value = token();
      }
      current.params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] !== ",") break;
      i++;
      // A comma may end this challenge: look ahead for "token =" (another param) or "token" (a new scheme).
      const save = i;
      skipSpace();
      const next = token();
      skipSpace();
      const isParam = next !== "" && header[i] === "=";
      i = save;
      if (!isParam) break;
    }
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
