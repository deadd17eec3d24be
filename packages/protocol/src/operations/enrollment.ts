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
  params: [
    pinCode("The PIN to choose (NotEnrolled) or the account PIN (AlreadyEnrolled)."),
    smsCode(false, "The code from S4; may be omitted when S7 validated it for this device."),
  ],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2344],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "enroll",
  component: "StrongAuthentication",
  path: "/v1/enrollment/enroll",
  summary: "Enrolls this device: sets the account PIN (NotEnrolled) or checks it (AlreadyEnrolled).",
} as const satisfies OperationDeclaration;

/** S11: certify a number, set the PIN and enroll this device in one call (shortcut). */
export const enrollWithPhoneNumber = {
  id: "S11",
  name: "enrollment.enrollWithPhoneNumber",
  api,
  verb: "set",
  selector: [{ key: "action", value: "enrollmentWithPhoneNumber", valueAliases: ["enrollWithPhoneNumber"] }],
  params: [
    pinCode("The PIN to choose."),
    smsCode(true, "The code from S5."),
    phoneNumber("The number certified by S5."),
  ],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2344, 2390],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "enroll",
  component: "StrongAuthentication",
  path: "/v1/enrollment/enroll-with-phone-number",
  summary: "Shortcut: the number becomes trusted, the PIN is set and this device enrolled, atomically.",
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
  summary:
    "Removes every enrolled device of the account and its PIN; from an enrolled device, or after S7 on this one.",
} as const satisfies OperationDeclaration;
