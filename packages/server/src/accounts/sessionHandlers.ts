import { callerEvent } from "../audit/callerEvent.js";
import { type OperationHandler, principalOf } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";

/** B3: revokes the session of the bearer. */
export function logout(services: Services): OperationHandler {
  return async (call) => {
    const { sessionId } = principalOf(call);
    if (sessionId !== undefined) await services.sessions.revoke(sessionId);
    await services.audit.append(callerEvent(call, "logout"));
    return null;
  };
}

/** B5: the login of the bearer's account. */
export function username(): OperationHandler {
  return async (call) => ({ username: principalOf(call).login });
}

/** B4: checks a JWT of the configured issuer; 2344 when none is configured, 2301 when refused. */
export function loginWithToken(services: Services): OperationHandler {
  return async ({ params }) => {
    if (!services.oidc) throw new PimsError(2344, { component: "OpenIdConnect" });
    const account = await services.oidc.authenticate(params.token as string);
    if (!account) throw new PimsError(2301);
    return { username: account.login, accountId: account.accountId };
  };
}
