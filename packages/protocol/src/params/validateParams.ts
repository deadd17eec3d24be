import type { ParamValues } from "../operations/contract.js";
import type { ParamList } from "../operations/types.js";
import { isAbsent, normalizeValue } from "./formats.js";
import { isPlainObject } from "./isPlainObject.js";

export type ParamsValidation<Value = Readonly<Record<string, string>>> =
  | { readonly ok: true; readonly value: Value }
  | { readonly ok: false; readonly failure: { readonly code: 2101 | 2102; readonly parameter: string } };

/**
 * Checks the parameters of an operation against its declaration, in declaration order, and
 * returns only the declared ones, normalized (digit values as strings). Selector keys and any
 * other undeclared key are dropped, never forwarded.
 *
 * @example
 * validateParams(otpWithPin, { action: "withPIN", pinCode: 1234 }) // { ok: true, value: { pinCode: "1234" } }
 * validateParams(otpWithPin, { action: "withPIN" }) // { ok: false, failure: { code: 2101, parameter: "pinCode" } }
 */
export function validateParams<List extends ParamList>(
  operation: List,
  params: unknown,
): ParamsValidation<ParamValues<List["params"]>> {
  if (!isPlainObject(params)) return { ok: false, failure: { code: 2102, parameter: "parameters" } };
  const value: Record<string, string> = {};
  for (const param of operation.params) {
    const raw = params[param.name];
    if (isAbsent(raw)) {
      if (param.required) return { ok: false, failure: { code: 2101, parameter: param.name } };
      continue;
    }
    const normalized = normalizeValue(param.format, raw);
    if (normalized === undefined) return { ok: false, failure: { code: 2102, parameter: param.name } };
    value[param.name] = normalized;
  }
  return { ok: true, value: value as ParamValues<List["params"]> };
}
