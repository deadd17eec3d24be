import { PIN_FORMAT } from "../params/formats.js";
import { IW } from "./errorSets.js";
import { pinCode, smsCode } from "./params.js";
import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.pincode";

/** S13: reset a forgotten PIN with a code from S6. */
export const resetPin = {
  id: "S13",
  name: "pincode.reset",
  api,
  verb: "set",
  selector: [{ key: "action", value: "reset" }],
  params: [pinCode, smsCode(true)],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2315, 2344],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/pin/reset",
} as const satisfies OperationDeclaration;

/** S14: change the PIN, knowing the current one. */
export const updatePin = {
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
    },
    {
      name: "newPIN",
      required: true,
      format: PIN_FORMAT,
      secret: true,
    },
  ],
  result: null,
  errors: [2001, 2101, 2102, 2305, ...IW, 2315, 2344],
  extraErrors: {},
  access: "session",
  device: "enrolled",
  deviceKey: "use",
  component: "StrongAuthentication",
  path: "/v1/pin/update",
} as const satisfies OperationDeclaration;
