import { IW } from "./errorSets.js";
import { pinCode } from "./params.js";
import type { OperationDeclaration, ParamDeclaration } from "./types.js";

const api = "pims.authentication.otp";
const OTP_ERRORS = [2000, 2001, 2006, 2101, 2102, 2202, ...IW] as const;
const otpResult = {
  otp: { type: "string" },
  transaction: {
    type: "transaction",
  },
} as const;

/** Pims extension: the OTP is good only for a verification that presents the same context. */
const context = {
  name: "context",
  required: false,
  format: { kind: "text", maxLength: 256 },
  secret: false,
} as const satisfies ParamDeclaration;

/**
 * Pims extension: the OTP is good only for a verification that presents the same transaction, and
 * the device signs it (decision 0025).
 */
const transaction = {
  name: "transaction",
  required: false,
  format: { kind: "transaction" },
  secret: false,
} as const satisfies ParamDeclaration;

/** S15: an OTP proving possession (the device key) and knowledge (the PIN). */
export const otpWithPin = {
  id: "S15",
  name: "otp.withPIN",
  api,
  verb: "get",
  selector: [{ key: "action", value: "withPIN" }],
  params: [pinCode, context, transaction],
  result: otpResult,
  errors: OTP_ERRORS,
  extraErrors: {},
  access: "session",
  device: "enrolled",
  deviceKey: "use",
  yieldsOtp: true,
  component: "StrongAuthentication",
  path: "/v1/otp/with-pin",
} as const satisfies OperationDeclaration;

/** S16: an OTP proving possession only. */
export const otpWithoutPin = {
  id: "S16",
  name: "otp.withoutPIN",
  api,
  verb: "get",
  selector: [{ key: "action", value: "withoutPIN" }],
  params: [context, transaction],
  result: otpResult,
  errors: OTP_ERRORS,
  extraErrors: {},
  access: "session",
  device: "enrolled",
  deviceKey: "use",
  yieldsOtp: true,
  component: "StrongAuthentication",
  path: "/v1/otp/without-pin",
} as const satisfies OperationDeclaration;
