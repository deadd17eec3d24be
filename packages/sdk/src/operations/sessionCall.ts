import type { OperationDeclaration } from "@pims/protocol";
import { callServer } from "../transport/callServer.js";
import type { CallOutcome, Context } from "./Context.js";

/**
 * Calls an operation's route with the session's bearer token. When the server answers 2301
 * and the session can be refreshed, refreshes once and repeats the call once.
 */
export async function sessionCall(
  context: Context,
  operation: OperationDeclaration,
  params: Readonly<Record<string, string>>,
): Promise<CallOutcome> {
  const path = operation.path;
  if (path === null) throw new Error(`${operation.name} has no route`);
  const body = JSON.stringify(params);
  const send = (token: string) =>
    callServer(context.transport, {
      path,
      body,
      headers: { authorization: `Bearer ${token}` },
      transactionId: context.transactionId,
    });
  const token = await context.session.accessToken(context.transactionId);
  if (!token.ok) return token;
  const outcome = await send(token.token);
  if (outcome.ok || outcome.error.code !== 2301 || !context.session.current?.refreshToken) return outcome;
  const refreshed = await context.session.refresh(context.transactionId);
  return refreshed.ok ? send(refreshed.token) : refreshed;
}
