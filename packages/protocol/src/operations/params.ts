import { LOGIN_FORMAT, PHONE_FORMAT, PIN_FORMAT, SMS_CODE_FORMAT } from "../params/formats.js";
import type { ParamDeclaration } from "./types.js";

/**
 * Parameter declarations shared by several operations. Each keeps its literal name and
 * `required` flag in its type, so the parameters of an operation are typed from its declaration.
 * What each means for an operation is in `OPERATION_DOCS` (`docs.ts`).
 */
export const pinCode = {
  name: "pinCode",
  required: true,
  format: PIN_FORMAT,
  secret: true,
} as const satisfies ParamDeclaration;

export const smsCode = <const Required extends boolean>(required: Required) =>
  ({
    name: "smsCode",
    required,
    format: SMS_CODE_FORMAT,
    secret: true,
  }) as const satisfies ParamDeclaration as {
    readonly name: "smsCode";
    readonly required: Required;
  } & ParamDeclaration;

export const phoneNumber = {
  name: "phoneNumber",
  required: true,
  format: PHONE_FORMAT,
  secret: false,
} as const satisfies ParamDeclaration;

export const login = {
  name: "login",
  required: true,
  format: LOGIN_FORMAT,
  secret: false,
} as const satisfies ParamDeclaration;

export const password = (minLength: number) =>
  ({
    name: "password",
    required: true,
    format: { kind: "password", minLength, maxLength: 1024 },
    secret: true,
  }) as const satisfies ParamDeclaration;
