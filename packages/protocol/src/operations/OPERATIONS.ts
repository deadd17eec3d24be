import { isAccountBlocked, isDeviceActivated, username } from "./account.js";
import { enroll, enrollWithPhoneNumber, removeEnrollments } from "./enrollment.js";
import { otpWithoutPin, otpWithPin } from "./otp.js";
import { resetPin, updatePin } from "./pincode.js";
import {
  addPhoneNumber,
  modifyPhoneNumber,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
  validateEnrollmentCode,
} from "./smscode.js";
import { customerAt } from "./token.js";
import { trustedPhoneNumber } from "./trustedPhoneNumber.js";
import type { OperationDeclaration } from "./types.js";
import { createAccount, loginUser, loginWithToken, logout } from "./user.js";

/**
 * Every operation of the contract, in spec order: S1..S16, then basic authentication B1..B6.
 * Selector resolution picks the first match in this order.
 */
export const OPERATIONS = [
  isDeviceActivated,
  isAccountBlocked,
  trustedPhoneNumber,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
  validateEnrollmentCode,
  addPhoneNumber,
  modifyPhoneNumber,
  enroll,
  enrollWithPhoneNumber,
  removeEnrollments,
  resetPin,
  updatePin,
  otpWithPin,
  otpWithoutPin,
  createAccount,
  loginUser,
  logout,
  loginWithToken,
  username,
  customerAt,
] as const satisfies readonly OperationDeclaration[];
