import { IW, NET, SMS_SEND_EXTRAS } from "./errorSets.js";
import { phoneNumber, pinCode, smsCode } from "./params.js";
import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.smscode";
const SEND_ERRORS = [2001, 2006, 2101, 2102, ...NET] as const;

/** S4: send an enrollment code to the trusted number. */
export const requestEnrollmentCode = {
  id: "S4",
  name: "smscode.enrollment.request",
  api,
  verb: "get",
  selector: [{ key: "type", value: "enrollment" }],
  params: [],
  result: null,
  errors: SEND_ERRORS,
  extraErrors: { ...SMS_SEND_EXTRAS, 2307: "the account has no trusted phone number" },
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/sms/enrollment",
} as const satisfies OperationDeclaration;

/** S5: send a certification code to a phone number the user gives. */
export const requestPhoneCertificationCode = {
  id: "S5",
  name: "smscode.phoneNumberCertification.request",
  api,
  verb: "get",
  selector: [{ key: "type", value: "phoneNumberCertification" }],
  params: [phoneNumber],
  result: null,
  errors: SEND_ERRORS,
  extraErrors: { ...SMS_SEND_EXTRAS },
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/sms/phone-certification",
} as const satisfies OperationDeclaration;

/** S6: send a PIN reset code to the trusted number. */
export const requestResetPinCode = {
  id: "S6",
  name: "smscode.resetPIN.request",
  api,
  verb: "get",
  selector: [{ key: "type", value: "resetPIN" }],
  params: [],
  result: null,
  errors: SEND_ERRORS,
  extraErrors: { ...SMS_SEND_EXTRAS, 2307: "the account has no trusted phone number" },
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/sms/reset-pin",
} as const satisfies OperationDeclaration;

/** S7: validate an enrollment code for this device. */
export const validateEnrollmentCode = {
  id: "S7",
  name: "smscode.enrollment.validate",
  api,
  verb: "set",
  selector: [{ key: "action", value: "enrollment" }],
  params: [smsCode(true)],
  result: {
    status: {
      type: "enum",
      values: ["NotEnrolled", "AlreadyEnrolled"],
    },
  },
  errors: [2001, 2006, 2102, ...NET, ...IW, 2344, 2305],
  extraErrors: { 2101: "smsCode is missing", 2307: "the account has no trusted phone number" },
  access: "session",
  device: "any",
  deviceKey: "create",
  component: "StrongAuthentication",
  path: "/v1/enrollment/validate-code",
} as const satisfies OperationDeclaration;

/** S8: make a certified number the account's trusted number. */
export const addPhoneNumber = {
  id: "S8",
  name: "smscode.addPhoneNumber",
  api,
  verb: "set",
  selector: [{ key: "action", keyAliases: ["type"], value: "addPhoneNumber" }],
  params: [smsCode(true), phoneNumber],
  result: null,
  errors: [2001, 2006, 2101, 2102, ...NET, 2344, 2305, 2390],
  extraErrors: { 2317: "the account already has a trusted number (use modifyPhoneNumber)" },
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/phone/add",
} as const satisfies OperationDeclaration;

/**
 * S9: replace the trusted number by a certified one. Replacing the recovery factor binds a new
 * authenticator, so it needs knowledge as well as possession (docs/decisions/0009): the account PIN
 * in `pinCode` (a Pims extension), or a PIN proven by this device within the last minutes.
 */
export const modifyPhoneNumber = {
  id: "S9",
  name: "smscode.modifyPhoneNumber",
  api,
  verb: "set",
  selector: [{ key: "type", keyAliases: ["action"], value: "modifyPhoneNumber" }],
  params: [
    smsCode(true),
    phoneNumber,
    {
      ...pinCode,
      required: false,
    },
  ],
  result: null,
  errors: [2001, 2006, 2101, 2102, ...NET, ...IW, 2344, 2305, 2390],
  extraErrors: {},
  access: "session",
  device: "enrolled",
  deviceKey: "use",
  component: "StrongAuthentication",
  path: "/v1/phone/modify",
} as const satisfies OperationDeclaration;
