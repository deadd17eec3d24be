import { PIN_FORMAT } from "../params/formats.js";
import { IW } from "./errorSets.js";
import { pinCode, smsCode } from "./params.js";
import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.pincode";

/** S13: reset a forgotten PIN with a code from S6. */
export const resetPin: OperationDeclaration = {
  id: "S13",
  name: "pincode.reset",
  api,
  verb: "set",
  selector: [{ key: "action", value: "reset" }],
  params: [pinCode("The new PIN."), smsCode(true, "The code from S6.")],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2315, 2344],
  extraErrors: {},
  access: "session",
  device: "none",
  component: "StrongAuthentication",
  path: "/v1/pin/reset",
  summary: "Sets a new PIN with a code from S6, and unblocks the account.",
};

/** S14: change the PIN, knowing the current one. */
export const updatePin: OperationDeclaration = {
  id: "S14",
  name: "pincode.update",
  api,
  verb: "set",
  selector: [{ key: "action", value: "update" }],
  params: [
    {
      name: "oldPIN",
      required: true,
      format: PIN_FORMAT,
      secret: true,
      description: "The current PIN.",
      example: "4821",
    },
    {
      name: "newPIN",
      required: true,
      format: PIN_FORMAT,
      secret: true,
      description: "The new PIN.",
      example: "7395",
    },
  ],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2315, 2344],
  extraErrors: {},
  access: "session",
  device: "enrolled",
  component: "StrongAuthentication",
  path: "/v1/pin/update",
  summary: "Changes the PIN from an enrolled device; the current PIN is checked and counted.",
};
