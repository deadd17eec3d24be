import { canonicalTransaction } from "../transaction/canonicalTransaction.js";
import type { OperationDeclaration, ResultField } from "./types.js";

/**
 * True when `result` has the declared shape of the operation's output: `null` for operations
 * without output, otherwise an object with every declared field of the declared type (a
 * `transaction` field may be absent: it is there when one was asked for). The SDK
 * answers 2203 for anything else, so an app never sees a result it was not promised.
 *
 * @example
 * checkResult(otpWithPin, { otp: "12345678" }) // true
 */
export function checkResult(operation: OperationDeclaration, result: unknown): boolean {
  if (operation.result === null) return result === null;
  if (typeof result !== "object" || result === null || Array.isArray(result)) return false;
  const record = result as Record<string, unknown>;
  return Object.entries(operation.result).every(
    ([name, field]) =>
      (field.type === "transaction" && record[name] === undefined) || fieldMatches(field, record[name]),
  );
}

function fieldMatches(field: ResultField, value: unknown): boolean {
  switch (field.type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "enum":
      return typeof value === "string" && field.values.includes(value);
    case "transaction":
      return canonicalTransaction(value) !== undefined;
  }
}
