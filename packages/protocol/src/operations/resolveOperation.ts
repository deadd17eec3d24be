import { isAbsent } from "../params/formats.js";
import { OPERATIONS } from "./OPERATIONS.js";
import type { OperationDeclaration, SelectorDeclaration, Verb } from "./types.js";

/** Why an (api, verb, params) triple names no operation. */
export type ResolveFailure = { readonly code: 2002 } | { readonly code: 2101 | 2102; readonly parameter: string };

export type Resolution =
  | { readonly ok: true; readonly operation: OperationDeclaration }
  | { readonly ok: false; readonly failure: ResolveFailure };

/**
 * Finds the operation an app means by `get`/`set(api, params)`.
 *
 * Unknown api (or no operation of that verb) → 2002; a selector key absent → 2101 naming it;
 * a selector value no operation accepts → 2102 naming the key that carried it.
 *
 * @example
 * resolveOperation("pims.authentication.otp", "get", { action: "withPIN" }) // { ok: true, operation: otpWithPin }
 */
export function resolveOperation(
  api: unknown,
  verb: Verb,
  params: Readonly<Record<string, unknown>>,
  operations: readonly OperationDeclaration[] = OPERATIONS,
): Resolution {
  let candidates = operations.filter((op) => op.api === api && op.verb === verb);
  if (candidates.length === 0) return { ok: false, failure: { code: 2002 } };
  const depth = Math.max(...candidates.map((op) => op.selector.length));
  for (let level = 0; level < depth; level++) {
    const matching = candidates.filter((op) => selectorMatches(op.selector[level], params));
    if (matching.length === 0) return { ok: false, failure: selectorFailure(candidates, level, params) };
    candidates = matching;
  }
  return { ok: true, operation: candidates[0] as OperationDeclaration };
}

/** The keys a selector level may be read from, the declared key first. */
export function selectorKeys(selector: SelectorDeclaration): readonly string[] {
  return [selector.key, ...(selector.keyAliases ?? [])];
}

function selectorMatches(selector: SelectorDeclaration | undefined, params: Readonly<Record<string, unknown>>) {
  if (selector === undefined) return true;
  const key = selectorKeys(selector).find((k) => !isAbsent(params[k]));
  if (key === undefined) return false;
  const value = params[key];
  return value === selector.value || (selector.valueAliases ?? []).some((alias) => alias === value);
}

function selectorFailure(
  candidates: readonly OperationDeclaration[],
  level: number,
  params: Readonly<Record<string, unknown>>,
): ResolveFailure {
  const selectors = candidates.flatMap((op) => (op.selector[level] ? [op.selector[level]] : []));
  const present = selectors.flatMap(selectorKeys).find((key) => !isAbsent(params[key]));
  if (present !== undefined) return { code: 2102, parameter: present };
  return { code: 2101, parameter: (selectors[0] as SelectorDeclaration).key };
}
