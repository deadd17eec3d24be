import { NET } from "./errorSets.js";
import type { OperationDeclaration } from "./types.js";

/** S3: the account's trusted phone number. */
export const trustedPhoneNumber = {
  id: "S3",
  name: "trustedPhoneNumber.get",
  api: "pims.authentication.trustedphonenumber",
  verb: "get",
  selector: [],
  params: [],
  result: {
    phoneNumber: {
      type: "string",
    },
  },
  errors: [2001, 2006, ...NET, 2307],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/phone/trusted",
} as const satisfies OperationDeclaration;
