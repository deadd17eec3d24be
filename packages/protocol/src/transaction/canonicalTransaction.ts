import { isPlainObject } from "../params/isPlainObject.js";
import { canonicalJson, hasLoneSurrogate } from "./canonicalJson.js";

/**
 * A transaction a device approves (decision 0025): a JSON object with a string `type`
 * (`vehicle.unlock`, `payment`) and members that are strings, integers or objects of the same.
 * Amounts are integers in minor units (`1999` for 19.99 EUR) or decimal strings (`"19.99"`):
 * floats are refused, so no rounding can separate what is shown from what is signed.
 */
export interface Transaction {
  readonly type: string;
  readonly [member: string]: TransactionValue;
}
export type TransactionValue = string | number | { readonly [member: string]: TransactionValue };

/** The canonical text (UTF-8) of a transaction is at most this long. */
export const TRANSACTION_MAX_BYTES = 1024;
/** Objects nest at most this deep (the transaction itself is depth 1). */
export const TRANSACTION_MAX_DEPTH = 4;

const TYPE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;
/**
 * Characters that change how a text is shown without being seen: C0 and C1 controls, DEL, the
 * line and paragraph separators, and every default-ignorable code point (Unicode's
 * Default_Ignorable_Code_Point: the bidirectional marks and overrides, zero-width spaces and
 * joiners, the soft hyphen, the byte-order mark, variation selectors, Hangul fillers, tags), which
 * a renderer shows as nothing. An app must be able to show exactly what is signed: "Ionity\u200b
 * GmbH" reads as "Ionity GmbH" and is another payee.
 */
const INVISIBLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/**
 * The RFC 8785 canonical text of a transaction, or `undefined` when the value is not one: not a
 * plain object, no `type` (lower-case words joined by dots, at most 64 characters), a member that
 * is not a string, a safe integer or an object, a float, an empty, reserved (`__proto__`,
 * `constructor`, `prototype`) or invisible-character name or string, nesting deeper than {@link TRANSACTION_MAX_DEPTH}, or a canonical text over
 * {@link TRANSACTION_MAX_BYTES} bytes.
 *
 * @example
 * canonicalTransaction({ vin: "VF3LCYHZPHS123456", type: "vehicle.unlock" })
 * // '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}'
 * canonicalTransaction({ type: "payment", amount: 19.99 }) // undefined: amounts are integers or strings
 */
export function canonicalTransaction(value: unknown): string | undefined {
  if (!isPlainObject(value) || typeof value.type !== "string" || value.type.length > 64 || !TYPE.test(value.type)) {
    return undefined;
  }
  if (!isTransactionObject(value, 1)) return undefined;
  const canonical = canonicalJson(value);
  return utf8Length(canonical) <= TRANSACTION_MAX_BYTES ? canonical : undefined;
}

/**
 * Member names the server's JSON parser refuses (prototype poisoning): refused here too, so that
 * the SDK, the kit and the server agree on what a transaction is.
 */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

function isTransactionObject(value: Record<string, unknown>, depth: number): boolean {
  if (depth > TRANSACTION_MAX_DEPTH) return false;
  return Object.keys(value).every(
    (name) => isText(name) && !RESERVED.has(name) && isTransactionValue(value[name], depth),
  );
}

function isTransactionValue(value: unknown, depth: number): boolean {
  if (typeof value === "string") return isText(value);
  if (typeof value === "number") return Number.isSafeInteger(value);
  return isPlainObject(value) && isTransactionObject(value, depth + 1);
}

function isText(text: string): boolean {
  return text.length > 0 && !INVISIBLE.test(text) && !hasLoneSurrogate(text);
}

/** Bytes of the UTF-8 form of a (well-formed) string. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const point = char.codePointAt(0) ?? 0;
    bytes += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
  }
  return bytes;
}
