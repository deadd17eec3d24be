import { errorBody, type OperationDeclaration } from "@pims/protocol";
import { isSessionTokens } from "../session/SessionKeeper.js";
import { callServer } from "../transport/callServer.js";
import type { CallOutcome, Context, Handler } from "./Context.js";
import { requestBody } from "./requestBody.js";
import { sessionCall } from "./sessionCall.js";

/** B1, B2: create an account or log in; the answer opens the session. */
export const openSession: Handler = async (context, operation, params) => {
  const outcome = await publicCall(context, operation, params);
  if (!outcome.ok) return outcome;
  if (!isSessionTokens(outcome.result)) return { ok: false, error: errorBody(2203) };
  await context.session.open(outcome.result);
  return { ok: true, result: null };
};

/** B4: check a token of the OpenID Connect issuer with the server, then use it as the session. */
export const openExternalSession: Handler = async (context, operation, params) => {
  const outcome = await publicCall(context, operation, params);
  if (!outcome.ok) return outcome;
  const { username, accountId } = (outcome.result ?? {}) as { username?: unknown; accountId?: unknown };
  if (typeof username !== "string" || typeof accountId !== "string" || params.token === undefined) {
    return { ok: false, error: errorBody(2203) };
  }
  await context.session.openExternal(params.token, username, accountId);
  return { ok: true, result: null };
};

/**
 * B3: revoke the session on the server and forget it here. The device forgets it whatever the
 * server says; when the server could not be told, the answer is 2303 so the app knows.
 */
export const closeSession: Handler = async (context, operation, params) => {
  if (!context.session.current) return { ok: false, error: errorBody(2301) };
  const outcome = await sessionCall(context, operation, params);
  await context.session.forget();
  if (outcome.ok || outcome.error.code === 2301) return { ok: true, result: null };
  return { ok: false, error: errorBody(2303) };
};

/** B6: the access token for the app's own APIs; `refresh` forces a new one. */
export const customerAccessToken: Handler = async (context, _operation, params) => {
  const session = context.session.current;
  if (!session) return { ok: false, error: errorBody(2301) };
  const outcome =
    params.action === "refresh"
      ? await context.session.refresh(context.transactionId)
      : await context.session.accessToken(context.transactionId);
  return outcome.ok ? { ok: true, result: { type: "customerAt", token: outcome.token } } : outcome;
};

function publicCall(
  context: Context,
  operation: OperationDeclaration,
  params: Readonly<Record<string, string>>,
): Promise<CallOutcome> {
  return callServer(context.transport, {
    path: operation.path as string,
    body: requestBody(operation, params),
    headers: {},
    transactionId: context.transactionId,
  });
}
