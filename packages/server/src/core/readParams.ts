import { type ParamList, type ParamValues, validateParams } from "@pims/protocol";
import { PimsError } from "./PimsError.js";

/**
 * A request body (or query) checked against declared parameters, as every operation's is: the
 * declared ones, normalized, or a {@link PimsError} 2101/2102 naming the first that fails (`body`
 * when it is not an object).
 */
export function readParams<List extends ParamList>(list: List, input: unknown): ParamValues<List["params"]> {
  const validation = validateParams(list, input);
  if (!validation.ok) {
    const { code, parameter } = validation.failure;
    throw new PimsError(code, { parameter: parameter === "parameters" ? "body" : parameter });
  }
  return validation.value;
}
