import { ERROR_CATALOGUE } from "./catalogue.js";

type Catalogue = typeof ERROR_CATALOGUE;

/** Every code of the catalogue. */
export type PimsErrorCode = keyof Catalogue;

/** The codes the server may answer: every code but those only the SDK produces (`side: "sdk"`). */
export type ServerErrorCode = {
  [C in PimsErrorCode]: Catalogue[C]["side"] extends "sdk" ? never : C;
}[PimsErrorCode];

/** The code of each catalogue row by its name. */
export type ErrorCodeByKey = {
  [C in PimsErrorCode as Catalogue[C]["key"]]: C;
};

/**
 * Codes by name, derived from the catalogue so the two cannot disagree.
 *
 * @example
 * if (message.error.code === ErrorCode.accountBlocked) askForPinReset();
 */
export const ErrorCode: ErrorCodeByKey = Object.fromEntries(
  Object.entries(ERROR_CATALOGUE).map(([code, def]) => [def.key, Number(code)]),
) as ErrorCodeByKey;

/** True when `code` is a row of the catalogue. */
export function isKnownErrorCode(code: unknown): code is PimsErrorCode {
  return typeof code === "number" && Object.hasOwn(ERROR_CATALOGUE, code);
}
