/** Declaration types: one {@link OperationDeclaration} per operation of the contract. */

import type { PimsErrorCode } from "../errors/ErrorCode.js";

export type Verb = "get" | "set";

export type Component = "BasicAuthentication" | "StrongAuthentication";

/**
 * How a parameter value must look. Digit kinds accept a string of digits or a non-negative
 * integer (the vendor typed them both ways), and are handled as digit strings afterwards.
 */
export type ParamFormat =
  | { readonly kind: "digits"; readonly minLength: number; readonly maxLength: number }
  | { readonly kind: "phone" }
  | { readonly kind: "login" }
  | { readonly kind: "password"; readonly minLength: number; readonly maxLength: number }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "token"; readonly maxLength: number }
  | { readonly kind: "text"; readonly maxLength: number }
  /** A JSON object, checked and canonicalized by `canonicalTransaction` (decision 0025). */
  | { readonly kind: "transaction" };

/**
 * A parameter as code reads it. An operation's parameters are described for people in
 * `OPERATION_DOCS` (`@pims/protocol/docs`), not here, so that the SDK's bundle carries no prose.
 */
export interface ParamDeclaration {
  readonly name: string;
  readonly required: boolean;
  readonly format: ParamFormat;
  /** A secret (PIN, code, password, token): never logged, never echoed. */
  readonly secret: boolean;
}

/** What a parameter means, for people (docs/operations/, the OpenAPI document); never read at run time. */
export interface ParamDoc {
  readonly description: string;
  /** The value the generated call example shows. */
  readonly example?: string;
}

/**
 * A list of parameter declarations: an operation's, or a request body's outside the operations
 * (which may describe its parameters inline: the SDK never loads those lists).
 */
export interface ParamList {
  readonly params: readonly (ParamDeclaration & Partial<ParamDoc>)[];
}

/** One selector level: `key` (or an alias) must carry `value` (or a value alias). */
export interface SelectorDeclaration {
  readonly key: string;
  readonly keyAliases?: readonly string[];
  readonly value: string;
  readonly valueAliases?: readonly string[];
}

/** A result field as the SDK checks it; its description is in `OPERATION_DOCS`. */
export type ResultField =
  | { readonly type: "string" }
  | { readonly type: "boolean" }
  | { readonly type: "enum"; readonly values: readonly string[] }
  /** Optional: a transaction object (`canonicalTransaction`), there when one was asked for. */
  | { readonly type: "transaction" };

/**
 * Who may call an operation: `public`, anyone (create account, login); `session`, a logged-in
 * user (2301 otherwise).
 */
export type Access = "public" | "session";

/**
 * Which device signature an operation needs (docs/decisions/0003-device-signatures.md):
 * - `none`: the request is not signed;
 * - `any`: signed by this device's key, enrolled or still enrolling (the public key travels along);
 * - `enrolled`: signed by a device the server knows as enrolled and active (2313 otherwise).
 */
export type DeviceProof = "none" | "any" | "enrolled";

/**
 * What the SDK does with this device's key around a signed operation (decision 0023):
 * - `none`: the operation is not signed;
 * - `use`: signs with the key the device has;
 * - `create`: creates the key first when the device has none (S7: the key a later enrollment registers);
 * - `enroll`: as `create`, and records the device as enrolled when the server accepts (S10, S11);
 * - `forget`: forgets the key once the server has removed the device (S12).
 */
export type DeviceKeyUse = "none" | "use" | "create" | "enroll" | "forget";

export interface OperationDeclaration {
  /** Stable short id: S1..S16 as in the spec, B1.. for basic authentication. */
  readonly id: string;
  /** Readable unique name, e.g. `otp.withPIN`. */
  readonly name: string;
  readonly api: string;
  readonly verb: Verb;
  readonly selector: readonly SelectorDeclaration[];
  readonly params: readonly ParamDeclaration[];
  /** Result fields, or `null` when the operation has no output data. */
  readonly result: Readonly<Record<string, ResultField>> | null;
  /** Error codes the vendor documents for this operation. */
  readonly errors: readonly PimsErrorCode[];
  /** Codes Pims adds, each with the reason (docs/decisions/0002-error-codes.md). */
  readonly extraErrors: Readonly<Partial<Record<PimsErrorCode, string>>>;
  readonly access: Access;
  readonly device: DeviceProof;
  /** What the SDK does with the device key around the call; `none` exactly when `device` is `none`. */
  readonly deviceKey: DeviceKeyUse;
  /**
   * The SDK's answer when this device has no key, or the server says it was removed or disabled
   * (2312): given without asking the server (S1: not activated).
   */
  readonly withoutDeviceKey?: Readonly<Record<string, boolean>>;
  /** The result carries an `otp` the SDK keeps for the next `pims.fetch` to a protected origin. */
  readonly yieldsOtp?: boolean;
  readonly component: Component;
  /** `POST` path on the server, or `null` when the SDK answers alone. */
  readonly path: string | null;
}
