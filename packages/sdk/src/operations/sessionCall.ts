import type { OperationDeclaration } from "@pims/protocol";
import { callServer } from "../transport/callServer.js";
import type { CallOutcome, Context } from "./Context.js";
import { requestBody } from "./requestBody.js";

/** Signature headers for one attempt (each attempt gets a fresh nonce and timestamp). */
export type Signer = (path: string, body: string, serverNow: number) => Promise<Record<string, string>>;

/** A signed request refused for its clock this far off is repeated once with the server's time. */
const SKEW_RETRY_MS = 30_000;

/**
 * Calls an operation's route with the session's bearer token, signed by the device when a signer
 * is given. When the server answers 2301 and the session can be refreshed, refreshes once and
 * repeats the call once; when a signed call fails with 2311 because this device's clock was off,
 * repeats it once on the server's time.
 */
export async function sessionCall(
  context: Context,
  operation: OperationDeclaration,
  params: Readonly<Record<string, string>>,
  signer?: Signer,
): Promise<CallOutcome> {
  const path = operation.path;
  if (path === null) throw new Error(`${operation.name} has no route`);
  const body = requestBody(operation, params);
  const send = async (token: string): Promise<CallOutcome> => {
    const signature = signer ? await signer(path, body, Date.now() + context.timing.offsetMs) : {};
    const outcome = await callServer(context.transport, {
      path,
      body,
      headers: { authorization: `Bearer ${token}`, ...signature },
      transactionId: context.transactionId,
    });
    if (outcome.serverTime !== undefined) context.timing.offsetMs = outcome.serverTime - Date.now();
    return outcome;
  };
  const sendOnTime = async (token: string): Promise<CallOutcome> => {
    const offsetBefore = context.timing.offsetMs;
    const outcome = await send(token);
    const clockWasOff = Math.abs(context.timing.offsetMs - offsetBefore) > SKEW_RETRY_MS;
    return signer && !outcome.ok && outcome.error.code === 2311 && clockWasOff ? send(token) : outcome;
  };
  const token = await context.session.accessToken(context.transactionId);
  if (!token.ok) return token;
  const outcome = await sendOnTime(token.token);
  if (outcome.ok || outcome.error.code !== 2301 || !context.session.current?.refreshToken) return outcome;
  const refreshed = await context.session.refresh(context.transactionId);
  return refreshed.ok ? sendOnTime(refreshed.token) : refreshed;
}
