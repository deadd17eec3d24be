import type { OperationDeclaration } from "./types.js";

/** B6: the session's access token, for the app's own APIs. */
export const customerAt = {
  id: "B6",
  name: "token.customerAt",
  api: "pims.authentication.token",
  verb: "get",
  selector: [{ key: "type", value: "customerAt" }],
  params: [
    {
      name: "action",
      required: true,
      format: { kind: "enum", values: ["get", "refresh"] },
      secret: false,
    },
  ],
  result: {
    type: { type: "enum", values: ["customerAt"] },
    token: { type: "string" },
  },
  errors: [2001, 2006, 2101, 2102, 2201, 2202, 2204, 2301],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: null,
} as const satisfies OperationDeclaration;
