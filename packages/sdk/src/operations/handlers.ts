import type { OperationDeclaration, OperationName } from "@pims/protocol";
import { closeSession, customerAccessToken, openExternalSession, openSession } from "./basicAuthentication.js";
import type { Handler } from "./Context.js";
import { deviceCall } from "./deviceCall.js";
import { sessionCall } from "./sessionCall.js";

/** Operations the SDK does more for than a plain call with the session. */
const SPECIAL: { readonly [N in OperationName]?: Handler } = {
  "user.createAccount": openSession,
  "user.login": openSession,
  "user.logout": closeSession,
  "user.loginWithToken": openExternalSession,
  "token.customerAt": customerAccessToken,
};

/** The handler of an operation. */
export function handlerFor(operation: OperationDeclaration): Handler {
  return SPECIAL[operation.name as OperationName] ?? (operation.device === "none" ? sessionCall : deviceCall);
}
