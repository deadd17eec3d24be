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
      description: "`get` returns the current token (refreshed if it expired), `refresh` forces a new one.",
      example: "get",
    },
  ],
  result: {
    type: { type: "enum", values: ["customerAt"], description: "Token type." },
    token: { type: "string", description: "Bearer access token for the app's own APIs." },
  },
  errors: [2001, 2006, 2101, 2102, 2201, 2202, 2204, 2301],
  extraErrors: {},
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: null,
  summary: "Returns the session's access token (the bearer an app passes to its own APIs).",
} as const satisfies OperationDeclaration;
