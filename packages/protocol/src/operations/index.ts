export { isAccountBlocked, isDeviceActivated, username } from "./account.js";
export type * from "./contract.js";
export { enroll, enrollWithPhoneNumber, removeEnrollments } from "./enrollment.js";
export { OPERATIONS } from "./OPERATIONS.js";
export { otpWithoutPin, otpWithPin } from "./otp.js";
export { resetPin, updatePin } from "./pincode.js";
export {
  addPhoneNumber,
  modifyPhoneNumber,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
  validateEnrollmentCode,
} from "./smscode.js";
export { customerAt } from "./token.js";
export { trustedPhoneNumber } from "./trustedPhoneNumber.js";
export type * from "./types.js";
export { createAccount, loginUser, loginWithToken, logout } from "./user.js";
