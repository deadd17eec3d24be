/**
 * An object literal or a null-prototype object: not an array, a date, a class instance.
 *
 * @example
 * isPlainObject({ pinCode: "1234" }) // true
 * isPlainObject([]) // false
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
