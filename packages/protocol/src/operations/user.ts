import { ALWAYS } from "./errorSets.js";
import { login, password } from "./params.js";
import type { OperationDeclaration } from "./types.js";

const api = "pims.authentication.user";

/** B1: create a built-in account and open a session for it. */
export const createAccount = {
  id: "B1",
  name: "user.createAccount",
  api,
  verb: "set",
  selector: [{ key: "action", value: "createAccount" }],
  params: [login, password(8)],
  result: null,
  errors: [2001, 2101, 2102],
  extraErrors: {
    2402: "the login is already taken",
    2383: "too many account creations from this client address",
  },
  access: "public",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: "/v1/user/create-account",
} as const satisfies OperationDeclaration;

/** B2: log in with login and password. */
export const loginUser = {
  id: "B2",
  name: "user.login",
  api,
  verb: "set",
  selector: [{ key: "action", value: "login" }],
  params: [login, password(1)],
  result: null,
  errors: [2001, 2101, 2102],
  extraErrors: {
    2401: "the login does not exist or the password is wrong",
    2383: "too many failed logins for this login or from this client address",
  },
  access: "public",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: "/v1/user/login",
} as const satisfies OperationDeclaration;

/** B3: log out: the server revokes the session, the SDK forgets it. */
export const logout = {
  id: "B3",
  name: "user.logout",
  api,
  verb: "set",
  selector: [{ key: "action", value: "logout" }],
  params: [],
  result: null,
  errors: [2001, 2101, 2102, 2201, 2202, 2204, 2301],
  extraErrors: {
    2303: "the server could not be told; the SDK forgot the session anyway",
  },
  access: "session",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: "/v1/user/logout",
} as const satisfies OperationDeclaration;

/** B4: use a bearer token from the deployment's OpenID Connect issuer as the session. */
export const loginWithToken = {
  id: "B4",
  name: "user.loginWithToken",
  api,
  verb: "set",
  selector: [{ key: "action", value: "loginWithToken" }],
  params: [
    {
      name: "token",
      required: true,
      format: { kind: "token", maxLength: 8192 },
      secret: true,
    },
  ],
  result: null,
  errors: [...ALWAYS, 2101, 2102],
  extraErrors: {
    2301: "the token is not accepted (signature, issuer, audience or expiry)",
    2344: "the server has no OpenID Connect issuer configured",
  },
  access: "public",
  device: "none",
  deviceKey: "none",
  component: "BasicAuthentication",
  path: "/v1/user/login-with-token",
} as const satisfies OperationDeclaration;
