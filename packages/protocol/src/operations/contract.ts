import type { OPERATIONS } from "./OPERATIONS.js";
import type { ParamDeclaration } from "./types.js";

/**
 * Types derived from the declarations, so the compiler holds code to the contract: a name that is
 * not an operation, a parameter an operation does not declare, a handler missing for a declared
 * operation — each fails to compile (decision 0023).
 */

/** The declaration of any operation, with its literal types. */
export type Operation = (typeof OPERATIONS)[number];

/** `otp.withPIN`, `pincode.reset`, …: every declared operation name. */
export type OperationName = Operation["name"];

/** The declaration of the operation named `N`. */
export type OperationNamed<N extends OperationName> = Extract<Operation, { readonly name: N }>;

/** Operations the server answers (a `path`); the others are answered by the SDK alone. */
export type ServerOperationName = Exclude<Operation, { readonly path: null }>["name"];

/**
 * Validated parameters of a declaration's list: required ones always there, optional ones maybe.
 * For a list not known to the compiler (an `OperationDeclaration`), any name.
 */
export type ParamValues<List extends readonly ParamDeclaration[]> = string extends List[number]["name"]
  ? Readonly<Record<string, string>>
  : {
      readonly [P in List[number] as P["required"] extends true ? P["name"] : never]: string;
    } & {
      readonly [P in List[number] as P["required"] extends true ? never : P["name"]]?: string;
    };

/** The validated, normalized parameters of operation `N` (what `validateParams` returns for it). */
export type ParamsOf<N extends OperationName> = ParamValues<OperationNamed<N>["params"]>;
