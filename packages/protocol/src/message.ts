import { type LabelValues, labelFor } from "./errors/formatLabel.js";

/** What every facade call delivers, exactly once. */
export type PimsMessage<R = unknown> = PimsSuccess<R> | PimsFailure;

export interface PimsSuccess<R = unknown> {
  readonly transactionId: string;
  readonly status: "SUCCEEDED";
  /** `null` for operations without output data. */
  readonly result: R;
}

export interface PimsFailure {
  readonly transactionId: string;
  readonly status: "FAILED";
  readonly error: PimsErrorBody;
}

/** The `error` member of a FAILED message. */
export interface PimsErrorBody {
  readonly code: number;
  readonly label: string;
}

/**
 * The `error` member for a catalogue code, its label filled.
 *
 * @example
 * errorBody(2102, { parameter: "pinCode" }) // { code: 2102, label: "Invalid pinCode parameter" }
 */
export function errorBody(code: number, values?: LabelValues): PimsErrorBody {
  return { code, label: labelFor(code, values) };
}
