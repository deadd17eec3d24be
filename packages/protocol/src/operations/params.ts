import { LOGIN_FORMAT, PHONE_FORMAT, PIN_FORMAT, SMS_CODE_FORMAT } from "../params/formats.js";
import type { ParamDeclaration } from "./types.js";

/** Parameter declarations shared by several operations. */
export const pinCode = (description: string): ParamDeclaration => ({
  name: "pinCode",
  required: true,
  format: PIN_FORMAT,
  secret: true,
  description,
  example: "4821",
});

export const smsCode = (required: boolean, description: string): ParamDeclaration => ({
  name: "smsCode",
  required,
  format: SMS_CODE_FORMAT,
  secret: true,
  description,
  example: "123456",
});

export const phoneNumber = (description: string): ParamDeclaration => ({
  name: "phoneNumber",
  required: true,
  format: PHONE_FORMAT,
  secret: false,
  description,
  example: "0612345678",
});

export const login: ParamDeclaration = {
  name: "login",
  required: true,
  format: LOGIN_FORMAT,
  secret: false,
  description: "Login of the account (a user name or an e-mail address), 3 to 254 characters.",
  example: "alice@example.com",
};

export const password = (minLength: number, description: string): ParamDeclaration => ({
  name: "password",
  required: true,
  format: { kind: "password", minLength, maxLength: 1024 },
  secret: true,
  description,
  example: "correct horse battery staple",
});
