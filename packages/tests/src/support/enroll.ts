import type { Pims } from "@pims/sdk";
import { expectSuccess } from "./facade.js";
import { latestCode, newPhone } from "./sms.js";

export const SMS = "pims.authentication.smscode";
export const ENROLLMENT = "pims.authentication.enrollment";

/** S5 then S8: the account trusts `phone` (the full method's first step). */
export async function trustNumber(url: string, pims: Pims, phone: { national: string; e164: string }): Promise<void> {
  expectSuccess(await pims.get(SMS, { type: "phoneNumberCertification", phoneNumber: phone.national }));
  const smsCode = await latestCode(url, phone.e164);
  expectSuccess(await pims.set(SMS, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national }));
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
  expectSuccess(await pims.get(SMS, { type: "phoneNumberCertification", phoneNumber: phone.national }));
  const smsCode = await latestCode(url, phone.e164);
  expectSuccess(
    await pims.set(ENROLLMENT, {
      action: "enrollmentWithPhoneNumber",
      pinCode: pin,
      smsCode,
      phoneNumber: phone.national,
    }),
  );
  return { phone, pin };
}

/** The full method on another device of the same account (S4, S7, S10 with the account PIN). */
export async function enrollAnotherDevice(url: string, pims: Pims, phone: { e164: string }, pin: string) {
  expectSuccess(await pims.get(SMS, { type: "enrollment" }));
  const smsCode = await latestCode(url, phone.e164);
  const status = expectSuccess(await pims.set(SMS, { action: "enrollment", smsCode })) as { status: string };
  expectSuccess(await pims.set(ENROLLMENT, { action: "enroll", pinCode: pin }));
  return status;
}
