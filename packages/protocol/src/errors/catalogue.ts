/**
 * The error catalogue: every code Pims answers, as data.
 *
 * Labels are the vendor's, byte for byte except for trailing spaces (spec §1), with
 * `[PARAMETER]` and `[Component]` left as placeholders for {@link formatLabel}.
 * `origin: "pims"` marks the few codes Pims adds where the vendor has none (see
 * docs/decisions/0002-error-codes.md); they live in the 24xx block the vendor never used.
 *
 * `side` says who produces the code: `"sdk"` codes never cross the wire (2001, 2007, ...),
 * `"server"` codes come from the server, `"both"` from either.
 *
 * @example
 * ERROR_CATALOGUE[2308].label // "inwebo: access refused"
 */
export const ERROR_CATALOGUE = {
  2000: e("unknownError", "Generic error", "Unknown error", 500, false, "both"),
  2001: e("facadeNotInitialized", "Generic error", "Facade not initialized", 400, false, "sdk"),
  2002: e("apiNotSupported", "Generic error", "API not supported", 404, false, "both"),
  2005: e("duplicateCommand", "Generic error", "Duplicate command", 429, true, "server"),
  2006: e("coreNotWellConfigured", "Generic error", "Core not well configured", 503, false, "both"),
  2007: e("facadeAlreadyInitialized", "Generic error", "Facade already initialized", 409, false, "sdk"),
  2101: e("missingParameter", "Input error", "Missing [PARAMETER] parameter", 400, false, "both"),
  2102: e("invalidParameter", "Input error", "Invalid [PARAMETER] parameter", 400, false, "both"),
  2201: e("timeout", "Output Error", "Timeout", 504, true, "sdk"),
  2202: e("networkProblem", "Output Error", "Network problem : No internet", 503, true, "both"),
  2203: e(
    "invalidReturn",
    "Output Error",
    "Invalid return [Parsing error] ou [No data] ou [invalid Data]",
    502,
    true,
    "sdk",
  ),
  2204: e("serverError", "Output Error", "Server Error", 500, true, "both"),
  2301: e(
    "needBasicAuthentication",
    "PIMS specific error",
    "Need Basic Authentication (to get CVS token)",
    401,
    false,
    "both",
  ),
  2302: e("needStrongAuthentication", "PIMS specific error", "Need Strong Authentication", 401, false, "server"),
  2303: e("failedToLogout", "PIMS specific error", "Failed to logout", 502, true, "sdk"),
  2305: e("smsCodeInvalid", "PIMS specific error", "The sms code is invalid", 400, false, "server"),
  2306: e("smsCodeExpired", "PIMS specific error", "The sms code is expired", 400, false, "server"),
  2307: e("noPhoneNumber", "PIMS specific error", "User dont have a phone number", 409, false, "server"),
  2308: e("accessRefused", "PIMS specific error", "inwebo: access refused", 403, false, "server"),
  2309: e("versionError", "PIMS specific error", "inwebo: version error", 400, false, "server"),
  2310: e("accountBlocked", "PIMS specific error", "inwebo: account is blocked", 423, false, "server"),
  2311: e("internalStateNotCorrect", "PIMS specific error", "inwebo: internal state not correct", 409, false, "both"),
  2312: e(
    "deviceDisabledOrUnknown",
    "PIMS specific error",
    "inwebo: device is disabled or unknown",
    403,
    false,
    "server",
  ),
  2313: e(
    "deviceNotActivated",
    "PIMS specific error",
    "inwebo: User must activate inWebo helium or inWebo Desktop Token before achieving this operation",
    403,
    false,
    "both",
  ),
  2314: e("noServiceAvailable", "PIMS specific error", "inwebo: No service is available", 503, false, "server"),
  2315: e(
    "newPinEqualsPrevious",
    "PIMS specific error",
    "inwebo: the new password equals the previous one",
    409,
    false,
    "server",
  ),
  2316: e(
    "postSynchronizationFailed",
    "PIMS specific error",
    "inwebo: the operation succeeded but it required a post-synchronization which failed",
    500,
    false,
    "sdk",
  ),
  2317: e(
    "forbiddenOperation",
    "PIMS specific error",
    "inwebo: forbidden operation (due to activated state/blocked state/upgradable state)",
    403,
    false,
    "server",
  ),
  2344: e("componentNotConfigured", "PIMS specific error", "[Component] not configured", 503, false, "both"),
  2383: e("accountTemporarilyLockedOut", "Gigya error", "error.accountTemporarilyLockedOut", 429, true, "server"),
  2390: e(
    "phoneNumberAlreadyRegistered",
    "PIMS specific error",
    "Phone number allready registered",
    409,
    false,
    "server",
  ),
  2401: e("invalidCredentials", "Pims error", "Invalid login or password", 401, false, "server", "pims"),
  2402: e("loginAlreadyRegistered", "Pims error", "Login already registered", 409, false, "server", "pims"),
} as const satisfies Record<number, ErrorDefinition>;

/** One row of the catalogue. */
export interface ErrorDefinition {
  /** Stable camelCase name, also the key of {@link ErrorCode}. */
  readonly key: string;
  readonly category: ErrorCategory;
  /** Label template, placeholders unresolved. */
  readonly label: string;
  /** HTTP status the server answers with this code. */
  readonly httpStatus: number;
  /** True when the same call may succeed if simply repeated later. */
  readonly retryable: boolean;
  readonly side: "sdk" | "server" | "both";
  readonly origin: "vendor" | "pims";
}

export type ErrorCategory =
  | "Generic error"
  | "Input error"
  | "Output Error"
  | "PIMS specific error"
  | "Gigya error"
  | "Pims error";

function e<K extends string, const Side extends ErrorDefinition["side"]>(
  key: K,
  category: ErrorCategory,
  label: string,
  httpStatus: number,
  retryable: boolean,
  side: Side,
  origin: ErrorDefinition["origin"] = "vendor",
) {
  return { key, category, label, httpStatus, retryable, side, origin };
}
