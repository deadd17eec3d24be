import type { ParamFormat } from "../operations/types.js";
import { canonicalTransaction } from "../transaction/canonicalTransaction.js";

/** PIN as it travels: digits only. The server applies its configured length policy on top. */
export const PIN_FORMAT: ParamFormat = { kind: "digits", minLength: 4, maxLength: 12 };
/** SMS code as it travels: the server's code length is configurable between 4 and 10. */
export const SMS_CODE_FORMAT: ParamFormat = { kind: "digits", minLength: 4, maxLength: 10 };
/** OTP as it travels. */
export const OTP_FORMAT: ParamFormat = { kind: "digits", minLength: 6, maxLength: 10 };
export const PHONE_FORMAT: ParamFormat = { kind: "phone" };
export const LOGIN_FORMAT: ParamFormat = { kind: "login" };

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
const PHONE_SHAPE = /^\+?[0-9][0-9 ().-]{2,30}$/;
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * Checks one present value against its format. Returns the normalized value (digit kinds
 * become strings, logins are trimmed, a transaction becomes its RFC 8785 canonical text), or
 * `undefined` when the value does not fit.
 *
 * @example
 * normalizeValue({ kind: "digits", minLength: 4, maxLength: 8 }, 1234) // "1234"
 */
export function normalizeValue(format: ParamFormat, value: unknown): string | undefined {
  switch (format.kind) {
    case "digits": {
      const text = digitText(value);
      if (text === undefined) return undefined;
      return text.length >= format.minLength && text.length <= format.maxLength ? text : undefined;
    }
    case "phone": {
      const text = typeof value === "string" ? value : digitText(value);
      if (text === undefined || !PHONE_SHAPE.test(text)) return undefined;
      const digits = text.replace(/[^0-9]/g, "").length;
      return digits >= 4 && digits <= 17 ? text : undefined;
    }
    case "login": {
      if (typeof value !== "string") return undefined;
      const text = value.trim();
      return text.length >= 3 && text.length <= 254 && !CONTROL.test(text) ? text : undefined;
    }
    case "password": {
      if (typeof value !== "string") return undefined;
      return value.length >= format.minLength && value.length <= format.maxLength ? value : undefined;
    }
    case "enum":
      return typeof value === "string" && format.values.includes(value) ? value : undefined;
    case "token":
      return typeof value === "string" && value.length <= format.maxLength && TOKEN_SHAPE.test(value)
        ? value
        : undefined;
    case "text":
      return typeof value === "string" && value.length <= format.maxLength && !CONTROL.test(value) ? value : undefined;
    case "transaction":
      return canonicalTransaction(value);
  }
}

function digitText(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  }
  if (typeof value === "string") return /^[0-9]+$/.test(value) ? value : undefined;
  return undefined;
}

/** Absent, for the 2101 rule: `undefined`, `null` or the empty string. */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}
