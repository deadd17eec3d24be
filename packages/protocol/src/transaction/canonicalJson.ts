import { isPlainObject } from "../params/isPlainObject.js";

/**
 * The JSON Canonicalization Scheme, RFC 8785 (JCS): one text for a JSON value, so that two parties
 * who hold the same data hash and sign the same bytes. Members of objects sorted by their names'
 * UTF-16 code units, no whitespace, strings and numbers serialized as ECMAScript's `JSON.stringify`
 * does (RFC 8785 §3.2.2 defines them by it). Strings with a lone surrogate are refused (I-JSON,
 * RFC 7493, as §3.1 requires), as are values JSON cannot carry (`undefined`, NaN, Infinity,
 * functions, class instances).
 *
 * @example
 * canonicalJson({ vin: "VF3…", type: "vehicle.unlock" }) // '{"type":"vehicle.unlock","vin":"VF3…"}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonicalJson: NaN and Infinity are not JSON");
      return JSON.stringify(value);
    case "string":
      return quote(value);
    case "object":
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
      if (!isPlainObject(value)) throw new TypeError("canonicalJson: only plain objects are JSON objects");
      return `{${Object.keys(value)
        .sort()
        .map((name) => `${quote(name)}:${canonicalJson(value[name])}`)
        .join(",")}}`;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`);
  }
}

/** A string in JCS form; a lone surrogate is refused. */
function quote(text: string): string {
  if (hasLoneSurrogate(text)) throw new TypeError("canonicalJson: a string has a lone surrogate");
  return JSON.stringify(text);
}

/** True when a UTF-16 surrogate is not half of a pair (the text is not valid Unicode). */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  }
  return false;
}
