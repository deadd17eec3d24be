import { ERROR_CATALOGUE } from "./catalogue.js";
import { isKnownErrorCode } from "./ErrorCode.js";

/** Values for the placeholders of a label. Absent values leave the placeholder as written. */
export interface LabelValues {
  /** Replaces `[PARAMETER]`, e.g. `pinCode`. */
  readonly parameter?: string;
  /** Replaces `[Component]`, e.g. `StrongAuthentication`. */
  readonly component?: string;
}

/**
 * Fills a label template.
 *
 * @example
 * formatLabel("Missing [PARAMETER] parameter", { parameter: "pinCode" }) // "Missing pinCode parameter"
 */
export function formatLabel(template: string, values: LabelValues = {}): string {
  let label = template;
  if (values.parameter !== undefined) label = label.replaceAll("[PARAMETER]", values.parameter);
  if (values.component !== undefined) label = label.replaceAll("[Component]", values.component);
  return label;
}

/**
 * The finished label of a catalogue code.
 *
 * @example
 * labelFor(2101, { parameter: "smsCode" }) // "Missing smsCode parameter"
 */
export function labelFor(code: number, values: LabelValues = {}): string {
  const template = isKnownErrorCode(code) ? ERROR_CATALOGUE[code].label : ERROR_CATALOGUE[2000].label;
  return formatLabel(template, values);
}
