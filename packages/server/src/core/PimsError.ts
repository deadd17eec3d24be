import { ERROR_CATALOGUE, errorBody, type PimsErrorBody, type ServerErrorCode } from "@pims/protocol";

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
 * The one error the server fails with: a catalogue code the server may answer (not one only the
 * SDK produces, such as 2001), translated to the wire at the edge. `new PimsError(2341)` does not
 * compile.
 *
 * @example
 * throw new PimsError(2308); // wrong PIN
 */
export class PimsError extends Error {
  override readonly name = "PimsError";
  readonly code: ServerErrorCode;
  readonly httpStatus: number;
  readonly #options: PimsErrorOptions;

  constructor(code: ServerErrorCode, options: PimsErrorOptions = {}) {
    super(`pims error ${code}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.#options = options;
    this.httpStatus = options.httpStatus ?? ERROR_CATALOGUE[code].httpStatus;
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
