import {
  addPhoneNumber,
  enroll,
  enrollWithPhoneNumber,
  requestEnrollmentCode,
  validateEnrollmentCode,
} from "@pims/protocol";
import type { Pims } from "@pims/sdk";
import { expectSuccess } from "./facade.js";
import { newPhone } from "./sms.js";
import { certificationCode, enrollmentCode } from "./steps.js";

/**
 * API names for security/defaults.security.test.ts, which another change is reworking: new code
 * takes `.api` from the operation's declaration instead.
 */
export const SMS = requestEnrollmentCode.api;
export const ENROLLMENT = enroll.api;

/** S5 then S8: the account trusts `phone` (the full method's first step). */
export async function trustNumber(url: string, pims: Pims, phone: { national: string; e164: string }): Promise<void> {
  const smsCode = await certificationCode(url, pims, phone);
  expectSuccess(await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national }));
}

/** The shortcut (S5 then S11) with a new number: the answer of S11, whatever it is. */
export async function shortcutAttempt(url: string, pims: Pims, pin: string, phone = newPhone()) {
  const smsCode = await certificationCode(url, pims, phone);
  return pims.set(enrollWithPhoneNumber.api, {
    action: "enrollmentWithPhoneNumber",
    pinCode: pin,
    smsCode,
    phoneNumber: phone.national,
  });
}

/**
 * The shortcut (S5 then S11): the account trusts a new number, gets `pin`, and this facade's
 * device is enrolled.
 */
export async function enrollWithShortcut(
  url: string,
  pims: Pims,
  pin = "48213579",
  phone = newPhone(),
): Promise<{ phone: { national: string; e164: string }; pin: string }> {
  expectSuccess(await shortcutAttempt(url, pims, pin, phone));
  return { phone, pin };
}

/** The full method on another device of the same account (S4, S7, S10 with the account PIN). */
export async function enrollAnotherDevice(url: string, pims: Pims, phone: { e164: string }, pin: string) {
  const smsCode = await enrollmentCode(url, pims, phone);
  const status = expectSuccess(await pims.set(validateEnrollmentCode.api, { action: "enrollment", smsCode })) as {
    status: string;
  };
  expectSuccess(await pims.set(enroll.api, { action: "enroll", pinCode: pin }));
  return status;
}
