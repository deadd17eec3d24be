import { IW } from "./errorSets.js";
import { phoneNumber, pinCode, smsCode } from "./params.js";
import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.enrollment";

/** S10: enroll this device (full method). */
export const enroll = {
  id: "S10",
  name: "enrollment.enroll",
  api,
  verb: "set",
  selector: [{ key: "action", value: "enroll" }],
  params: [pinCode, smsCode(false)],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2344],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "enroll",
  component: "StrongAuthentication",
  path: "/v1/enrollment/enroll",
} as const satisfies OperationDeclaration;

/** S11: certify a number, set the PIN and enroll this device in one call (shortcut). */
export const enrollWithPhoneNumber = {
  id: "S11",
  name: "enrollment.enrollWithPhoneNumber",
  api,
  verb: "set",
  selector: [{ key: "action", value: "enrollmentWithPhoneNumber", valueAliases: ["enrollWithPhoneNumber"] }],
  params: [pinCode, smsCode(true), phoneNumber],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2344, 2390],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "enroll",
  component: "StrongAuthentication",
  path: "/v1/enrollment/enroll-with-phone-number",
} as const satisfies OperationDeclaration;

/** S12: remove every enrollment of the account, and its PIN. */
export const removeEnrollments = {
  id: "S12",
  name: "enrollment.remove",
  api,
  verb: "set",
  selector: [{ key: "action", value: "remove" }],
  params: [],
  result: null,
  errors: [2001, 2101, 2102, 2202, 2204, 2305, ...IW, 2344],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "forget",
  component: "StrongAuthentication",
  path: "/v1/enrollment/remove",
} as const satisfies OperationDeclaration;
