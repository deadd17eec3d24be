import { callerEvent } from "../audit/callerEvent.js";
import type { OperationHandler } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { Services } from "../Services.js";

/** B3: revokes the session of the bearer. */
export function logout(services: Pick<Services, "sessions" | "audit">): OperationHandler<"user.logout"> {
  return async (call) => {
    const { sessionId } = call.principal;
    if (sessionId !== undefined) await services.sessions.revoke(sessionId);
    await services.audit.append(callerEvent(call, "logout"));
    return null;
  };
}

/** B5: the login of the bearer's account. */
export function username(): OperationHandler<"account.username"> {
  return async (call) => ({ username: call.principal.login });
}

/** B4: checks a JWT of the configured issuer; 2344 when none is configured, 2301 when refused. */
export function loginWithToken(services: Pick<Services, "oidc">): OperationHandler<"user.loginWithToken"> {
  return async ({ params }) => {
    if (!services.oidc) throw new PimsError(2344, { component: "OpenIdConnect" });
    const account = await services.oidc.authenticate(params.token);
    if (!account) throw new PimsError(2301);
    return { username: account.login, accountId: account.accountId };
  };
}
