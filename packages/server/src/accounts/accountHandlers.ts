import type { Handlers } from "../core/OperationCall.js";
import type { Services } from "../Services.js";
import { createAccount } from "./createAccount.js";
import { login } from "./login.js";
import { loginWithToken, logout, username } from "./sessionHandlers.js";

/** Basic authentication: B1–B5 (B6 is answered by the SDK from its session). */
export function accountHandlers(
  services: Services,
): Handlers<"user.createAccount" | "user.login" | "user.logout" | "user.loginWithToken" | "account.username"> {
  return {
    "user.createAccount": createAccount(services),
    "user.login": login(services),
    "user.logout": logout(services),
    "user.loginWithToken": loginWithToken(services),
    "account.username": username(),
  };
}
