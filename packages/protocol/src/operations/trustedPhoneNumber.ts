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
      description: "National format in the deployment's default region (0612345678), E.164 otherwise.",
    },
  },
  errors: [2001, 2006, ...NET, 2307],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/phone/trusted",
  summary: "Returns the account's trusted phone number; 2307 when it has none.",
} as const satisfies OperationDeclaration;
