import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.account";

/** B5: the login of the logged-in user. */
export const username = {
  id: "B5",
  name: "account.username",
  api,
  verb: "get",
  selector: [
    { key: "actionType", value: "basic" },
    { key: "type", value: "username" },
  ],
  params: [],
  result: { username: { type: "string" } },
  errors: [2001, 2101, 2102, 2301],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: "/v1/account/username",
} as const satisfies OperationDeclaration;

/** S1: is this device enrolled and known as active by the server? */
export const isDeviceActivated = {
  id: "S1",
  name: "account.isDeviceActivated",
  api,
  verb: "get",
  selector: [
    { key: "actionType", value: "strong" },
    { key: "type", value: "isDeviceActivated" },
  ],
  params: [],
  result: {
    isDeviceActivated: {
      type: "boolean",
    },
  },
  errors: [2001, 2101, 2102, 2344],
  extraErrors: {},
  access: "session",
  device: "any",
  deviceKey: "use",
  withoutDeviceKey: { isDeviceActivated: false },
  component: "StrongAuthentication",
  path: "/v1/device/status",
} as const satisfies OperationDeclaration;

/** S2: is the account blocked by too many wrong PINs? */
export const isAccountBlocked = {
  id: "S2",
  name: "account.isAccountBlocked",
  api,
  verb: "get",
  selector: [
    { key: "actionType", value: "strong" },
    { key: "type", value: "isAccountBlocked" },
  ],
  params: [],
  result: {
    isAccountBlocked: {
      type: "enum",
      values: ["NotBlocked", "PinBlocked", "Unknown"],
    },
  },
  errors: [2001, 2101, 2102, 2344],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "StrongAuthentication",
  path: "/v1/account/blocked",
} as const satisfies OperationDeclaration;
