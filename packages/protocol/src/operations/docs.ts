import type { OperationName, OperationNamed } from "./contract.js";
import { OPERATIONS } from "./OPERATIONS.js";
import type { OperationDeclaration, ParamDeclaration, ParamDoc, ResultField } from "./types.js";

/**
 * The operations described for people: each one's summary, what each parameter means (with the
 * value the call example shows) and what each result field holds. The docs generator
 * (docs/operations/) and the OpenAPI document read it through `@pims/protocol/docs`; the SDK never
 * imports it, so none of this prose is in an app's bundle (issue 14: SDK bundle ≤ 12 kB).
 *
 * Typed over the declarations: an operation, a parameter or a result field without its
 * description, or a description of one that is not declared, does not compile.
 */
export interface OperationDoc<Op extends OperationDeclaration = OperationDeclaration> {
  readonly summary: string;
  readonly params: { readonly [P in Op["params"][number]["name"]]: ParamDoc };
  readonly result: Op["result"] extends infer R ? (R extends null ? null : { readonly [F in keyof R]: string }) : never;
}

const pinCode = (description: string): ParamDoc => ({ description, example: "4821" });
const smsCode = (description: string): ParamDoc => ({ description, example: "123456" });
const phoneNumber = (description: string): ParamDoc => ({ description, example: "0612345678" });
const login: ParamDoc = {
  description: "Login of the account (a user name or an e-mail address), 3 to 254 characters.",
  example: "alice@example.com",
};
const password = (description: string): ParamDoc => ({ description, example: "correct horse battery staple" });
const certified = phoneNumber("The number certified by S5.");

/** S15 and S16 take the same optional parameters and answer the same fields. */
const OTP_PARAMS = {
  context: {
    description:
      "Pims extension, optional: binds the OTP to one action (e.g. a digest of the request it authorizes); the relying party must present the same context.",
    example: "sha256:3f2a…",
  },
  transaction: {
    description:
      "Pims extension, optional, not with `context`: the transaction the OTP authorizes (amounts in minor units or decimal strings); the device signs its canonical form, and the relying party must present the same transaction (decision 0025).",
    example: '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}',
  },
} as const;
const OTP_RESULT = {
  otp: "The one-time password, digits.",
  transaction:
    "Pims extension, with a `transaction` parameter only: the transaction this OTP authorizes, as the device signed it: what the app shows.",
} as const;

export const OPERATION_DOCS: { readonly [N in OperationName]: OperationDoc<OperationNamed<N>> } = {
  "account.isDeviceActivated": {
    summary: "Tells whether this device is enrolled (holds its key and is active on the server).",
    params: {},
    result: { isDeviceActivated: "True when this device holds its key and the server knows it as active." },
  },
  "account.isAccountBlocked": {
    summary: "Tells whether the account is blocked by too many consecutive wrong PINs.",
    params: {},
    result: { isAccountBlocked: "PinBlocked after too many consecutive wrong PINs." },
  },
  "trustedPhoneNumber.get": {
    summary: "Returns the account's trusted phone number; 2307 when it has none.",
    params: {},
    result: { phoneNumber: "National format in the deployment's default region (0612345678), E.164 otherwise." },
  },
  "smscode.enrollment.request": {
    summary: "Sends an enrollment code by SMS to the account's trusted phone number.",
    params: {},
    result: null,
  },
  "smscode.phoneNumberCertification.request": {
    summary: "Sends a code by SMS to the given number, to certify it (then S8, S9 or S11).",
    params: { phoneNumber: phoneNumber("The phone number to certify, national (0612345678) or E.164 (+33612345678).") },
    result: null,
  },
  "smscode.resetPIN.request": {
    summary: "Sends a PIN reset code by SMS to the account's trusted phone number (then S13).",
    params: {},
    result: null,
  },
  "smscode.enrollment.validate": {
    summary: "Validates the enrollment code for this device and tells whether the account has a PIN.",
    params: { smsCode: smsCode("The code received after S4.") },
    result: {
      status: "NotEnrolled: the account has no PIN yet (choose one); AlreadyEnrolled: type the account PIN.",
    },
  },
  "smscode.addPhoneNumber": {
    summary: "Makes the number certified by S5 the account's trusted number.",
    params: { smsCode: smsCode("The code received after S5."), phoneNumber: certified },
    result: null,
  },
  "smscode.modifyPhoneNumber": {
    summary:
      "Replaces the trusted number by the one certified by S5; needs an enrolled device and the PIN (pinCode, or proven by this device within minutes). The former number is told by SMS.",
    params: {
      smsCode: smsCode("The code received after S5."),
      phoneNumber: certified,
      pinCode: pinCode(
        "Pims extension, optional: the account PIN, counted toward the lockout like every PIN comparison. Without it, S9 needs a PIN proven by this device within the last minutes (S15 with its PIN); otherwise 2308.",
      ),
    },
    result: null,
  },
  "enrollment.enroll": {
    summary: "Enrolls this device: sets the account PIN (NotEnrolled) or checks it (AlreadyEnrolled).",
    params: {
      pinCode: pinCode("The PIN to choose (NotEnrolled) or the account PIN (AlreadyEnrolled)."),
      smsCode: smsCode("The code from S4; may be omitted when S7 validated it for this device."),
    },
    result: null,
  },
  "enrollment.enrollWithPhoneNumber": {
    summary: "Shortcut: the number becomes trusted, the PIN is set and this device enrolled, atomically.",
    params: {
      pinCode: pinCode("The PIN to choose."),
      smsCode: smsCode("The code from S5."),
      phoneNumber: certified,
    },
    result: null,
  },
  "enrollment.remove": {
    summary:
      "Removes every enrolled device of the account and its PIN; from an enrolled device, or after S7 on this one.",
    params: {},
    result: null,
  },
  "pincode.reset": {
    summary: "Sets a new PIN with a code from S6, and unblocks the account.",
    params: { pinCode: pinCode("The new PIN."), smsCode: smsCode("The code from S6.") },
    result: null,
  },
  "pincode.update": {
    summary: "Changes the PIN from an enrolled device; the current PIN is checked and counted.",
    params: {
      oldPIN: { description: "The current PIN.", example: "4821" },
      newPIN: { description: "The new PIN.", example: "7395" },
    },
    result: null,
  },
  "otp.withPIN": {
    summary: "Returns a short-lived, single-use OTP proving this device and the PIN.",
    params: { pinCode: pinCode("The account PIN."), ...OTP_PARAMS },
    result: OTP_RESULT,
  },
  "otp.withoutPIN": {
    summary: "Returns a short-lived, single-use OTP proving this device only.",
    params: OTP_PARAMS,
    result: OTP_RESULT,
  },
  "user.createAccount": {
    summary: "Creates an account with a login and a password, and logs it in.",
    params: { login, password: password("Password of the new account, 8 to 1024 characters.") },
    result: null,
  },
  "user.login": {
    summary: "Logs in with a login and a password; the session is kept by the SDK.",
    params: { login, password: password("Password of the account.") },
    result: null,
  },
  "user.logout": {
    summary: "Logs out: revokes the session on the server and forgets it on the device.",
    params: {},
    result: null,
  },
  "user.loginWithToken": {
    summary: "Pims extension: uses a JWT from the configured OpenID Connect issuer as the session.",
    params: { token: { description: "An access token (JWT) issued by the OpenID Connect issuer the server trusts." } },
    result: null,
  },
  "account.username": {
    summary: "Returns the login of the logged-in user.",
    params: {},
    result: { username: "Login of the account." },
  },
  "token.customerAt": {
    summary: "Returns the session's access token (the bearer an app passes to its own APIs).",
    params: {
      action: {
        description: "`get` returns the current token (refreshed if it expired), `refresh` forces a new one.",
        example: "get",
      },
    },
    result: { type: "Token type.", token: "Bearer access token for the app's own APIs." },
  },
};

/** A parameter with what it means. */
export type DocumentedParam = ParamDeclaration & ParamDoc;

/** A result field with what it holds. */
export type DocumentedResultField = ResultField & { readonly description: string };

/** A declaration joined with its documentation: what the docs generator and the OpenAPI document read. */
export interface DocumentedOperation extends Omit<OperationDeclaration, "params" | "result"> {
  readonly summary: string;
  readonly params: readonly DocumentedParam[];
  readonly result: Readonly<Record<string, DocumentedResultField>> | null;
}

/**
 * `operation` with its summary and descriptions, in the declaration's order of parameters and
 * result fields.
 *
 * @example
 * documented(otpWithPin).params[0] // { name: "pinCode", …, description: "The account PIN.", example: "4821" }
 */
export function documented(operation: OperationDeclaration): DocumentedOperation {
  const doc = (OPERATION_DOCS as Readonly<Record<string, OperationDoc>>)[operation.name];
  if (doc === undefined) throw new Error(`${operation.name} has no entry in OPERATION_DOCS`);
  const paramDocs = doc.params as Readonly<Record<string, ParamDoc>>;
  const params = operation.params.map((param) => {
    const paramDoc = paramDocs[param.name];
    if (paramDoc === undefined) throw new Error(`${operation.name}: ${param.name} has no description`);
    return { ...param, ...paramDoc };
  });
  const result =
    operation.result === null
      ? null
      : Object.fromEntries(
          Object.entries(operation.result).map(([name, field]) => {
            const description = doc.result?.[name];
            if (description === undefined) throw new Error(`${operation.name}: result ${name} has no description`);
            return [name, { ...field, description }];
          }),
        );
  return { ...operation, summary: doc.summary, params, result };
}

/** Every operation of the contract, in `OPERATIONS` order, with its documentation. */
export const DOCUMENTED_OPERATIONS: readonly DocumentedOperation[] = OPERATIONS.map(documented);
