import { ERROR_CATALOGUE, errorBody, isKnownErrorCode, type PimsErrorBody } from "@pims/protocol";

export interface PimsErrorOptions {
  /** Fills `[PARAMETER]` (2101, 2102). */
  readonly parameter?: string;
  /** Fills `[Component]` (2344). */
  readonly component?: string;
  /** Overrides the catalogue's HTTP status (e.g. 503 for a full queue). */
  readonly httpStatus?: number;
  /** What went wrong underneath: logged (scrubbed), never sent. */
  readonly cause?: unknown;
}

/**
 * The one error the server fails with: a catalogue code, translated to the wire at the edge.
 *
 * @example
 * throw new PimsError(2308); // wrong PIN
 */
export class PimsError extends Error {
  override readonly name = "PimsError";
  readonly code: number;
  readonly httpStatus: number;
  readonly #options: PimsErrorOptions;

  constructor(code: number, options: PimsErrorOptions = {}) {
    super(`pims error ${code}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.#options = options;
    this.httpStatus = options.httpStatus ?? (isKnownErrorCode(code) ? ERROR_CATALOGUE[code].httpStatus : 500);
  }

  /** The `error` member of the FAILED answer. */
  get body(): PimsErrorBody {
    const { parameter, component } = this.#options;
    return errorBody(this.code, {
      ...(parameter === undefined ? {} : { parameter }),
      ...(component === undefined ? {} : { component }),
    });
  }
}
