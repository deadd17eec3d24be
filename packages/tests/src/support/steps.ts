import {
  customerAt,
  type OperationDeclaration,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
} from "@pims/protocol";
import type { Pims } from "@pims/sdk";
import type { PimsServer } from "@pims/server";
import { expectSuccess } from "./facade.js";
import { selectorParams } from "./sampleValues.js";
import { latestCode } from "./sms.js";

/** Asks for an SMS code (S4, S5 or S6), then reads it from the development inbox of `url`. */
async function codeFrom(
  url: string,
  pims: Pims,
  operation: OperationDeclaration,
  to: string,
  params: Record<string, unknown> = {},
): Promise<string> {
  expectSuccess(await pims.get(operation.api, { ...selectorParams(operation), ...params }));
  return latestCode(url, to);
}

/**
 * S5, then the code from the inbox: certifies `phone` for this account (use it in S8, S9 or S11).
 *
 * @example const smsCode = await certificationCode(server.url, pims, phone);
 */
export function certificationCode(url: string, pims: Pims, phone: { national: string; e164: string }): Promise<string> {
  return codeFrom(url, pims, requestPhoneCertificationCode, phone.e164, { phoneNumber: phone.national });
}

/** S4, then the code the account's trusted `phone` received (use it in S7). */
export function enrollmentCode(url: string, pims: Pims, phone: { e164: string }): Promise<string> {
  return codeFrom(url, pims, requestEnrollmentCode, phone.e164);
}

/** S6, then the code the account's trusted `phone` received (use it in S13). */
export function resetPinCode(url: string, pims: Pims, phone: { e164: string }): Promise<string> {
  return codeFrom(url, pims, requestResetPinCode, phone.e164);
}

/**
 * B6: the session's current access token, as an app passes it to its own APIs.
 *
 * @example await verifyOtp(server.url, rp.key, { otp, accessToken: await accessToken(pims) });
 */
export async function accessToken(pims: Pims): Promise<string> {
  const { token } = expectSuccess(await pims.get(customerAt.api, { ...selectorParams(customerAt), action: "get" })) as {
    token: string;
  };
  return token;
}

/** The id of the account `pims` is logged in to, as the server knows it from the session's token. */
export async function accountIdOf(server: PimsServer, pims: Pims): Promise<string> {
  const principal = await server.services.sessions.authenticate(await accessToken(pims));
  if (!principal) throw new Error("no session");
  return principal.accountId;
}
