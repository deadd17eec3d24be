import { LOGIN_FORMAT, PHONE_FORMAT, PIN_FORMAT, SMS_CODE_FORMAT } from "../params/formats.js";
import type { ParamDeclaration } from "./types.js";

/**
 * Parameter declarations shared by several operations. Each keeps its literal name and
 * `required` flag in its type, so the parameters of an operation are typed from its declaration.
 */
export const pinCode = (description: string) =>
  ({
    name: "pinCode",
    required: true,
    format: PIN_FORMAT,
    secret: true,
    description,
    example: "4821",
  }) as const satisfies ParamDeclaration;

export const smsCode = <const Required extends boolean>(required: Required, description: string) =>
  ({
    name: "smsCode",
    required,
    format: SMS_CODE_FORMAT,
    secret: true,
    description,
    example: "123456",
  }) as const satisfies ParamDeclaration as {
    readonly name: "smsCode";
    readonly required: Required;
  } & ParamDeclaration;

export const phoneNumber = (description: string) =>
  ({
    name: "phoneNumber",
    required: true,
    format: PHONE_FORMAT,
    secret: false,
    description,
    example: "0612345678",
  }) as const satisfies ParamDeclaration;

export const login = {
  name: "login",
  required: true,
  format: LOGIN_FORMAT,
  secret: false,
  description: "Login of the account (a user name or an e-mail address), 3 to 254 characters.",
  example: "alice@example.com",
} as const satisfies ParamDeclaration;

export const password = (minLength: number, description: string) =>
  ({
    name: "password",
    required: true,
    format: { kind: "password", minLength, maxLength: 1024 },
    secret: true,
    description,
    example: "correct horse battery staple",
  }) as const satisfies ParamDeclaration;
