import { canonicalTransaction, errorBody, type OperationDeclaration } from "@pims/protocol";
import { createDeviceKey, type DeviceKey, forgetDeviceKey, loadDeviceKey, markEnrolled } from "../device/deviceKey.js";
import { signRequest } from "../device/signRequest.js";
import type { CallOutcome, Context, Handler } from "./Context.js";
import { sessionCall } from "./sessionCall.js";

const fail = (code: number): CallOutcome => ({ ok: false, error: errorBody(code) });

/** The declared answer of an operation for a device without a key (S1: not activated), if any. */
const withoutKey = (operation: OperationDeclaration): CallOutcome | undefined =>
  operation.withoutDeviceKey ? { ok: true, result: { ...operation.withoutDeviceKey } } : undefined;

/**
 * Operations signed by this device (decision 0003), doing with the key what each declaration says
 * (`deviceKey`, decision 0023). Creates the key when enrolling; keeps the
 * local state in step with the server's: a removed or disabled device (2312) forgets its key; a
 * device the server no longer knows although this one believed it enrolled answers 2311; when the
 * server committed an enrollment but the store could not record it, the answer is 2316 and the next
 * `initialize` (or S1) repairs it.
 */
export const deviceCall: Handler = async (context, operation, params) => {
  const accountId = context.session.current?.accountId;
  if (accountId === undefined) return fail(2301);
  let device: DeviceKey | undefined;
  try {
    device = await loadDeviceKey(context.store, accountId, context.crypto);
    if (!device && (operation.deviceKey === "create" || operation.deviceKey === "enroll"))
      device = await createDeviceKey(context.store, accountId, context.crypto);
  } catch {
    return fail(2311);
  }
  if (!device) {
    const answer = withoutKey(operation);
    if (answer) return answer;
    if (operation.device === "enrolled") return fail(2313);
  }
  const transaction = params.transaction === undefined ? undefined : { accountId, canonical: params.transaction };
  const signer = device ? signerFor(device, operation, context, transaction) : undefined;
  const outcome = await sessionCall(context, operation, params, signer);
  if (transaction && outcome.ok && !echoes(outcome.result, transaction.canonical)) return fail(2203);
  return device ? reconcile(context, accountId, device, operation, outcome) : outcome;
};

function signerFor(
  device: DeviceKey,
  operation: OperationDeclaration,
  context: Context,
  transaction: { accountId: string; canonical: string } | undefined,
) {
  return (path: string, body: string, now: number) =>
    signRequest(device, { path, body, now, presentKey: operation.device === "any", transaction }, context.crypto);
}

/**
 * True when the server answered the transaction this device signed (decision 0025): the app shows
 * the result's, so it must be the very one, not merely a valid one.
 */
function echoes(result: unknown, canonical: string): boolean {
  const answered = (result as { transaction?: unknown } | null)?.transaction;
  return canonicalTransaction(answered) === canonical;
}

async function reconcile(
  context: Context,
  accountId: string,
  device: DeviceKey,
  operation: OperationDeclaration,
  outcome: CallOutcome,
): Promise<CallOutcome> {
  if (!outcome.ok) {
    if (outcome.error.code === 2312) {
      await forgetDeviceKey(context.store, accountId).catch(() => undefined);
      const answer = withoutKey(operation);
      if (answer) return answer;
    }
    if (outcome.error.code === 2313 && operation.device === "enrolled" && device.enrolledAt !== undefined) {
      // This device believed it was enrolled; the server does not know it: only a new enrollment mends that.
      await forgetDeviceKey(context.store, accountId).catch(() => undefined);
      return fail(2311);
    }
    return outcome;
  }
  try {
    if (operation.deviceKey === "enroll") await markEnrolled(context.store, accountId, Date.now());
    if (operation.deviceKey === "forget") await forgetDeviceKey(context.store, accountId);
    const activated = (outcome.result as { isDeviceActivated?: unknown } | null)?.isDeviceActivated;
    if (activated === true && device.enrolledAt === undefined) await markEnrolled(context.store, accountId, Date.now());
  } catch {
    return fail(2316);
  }
  return outcome;
}

/**
 * On `initialize`: a device key without a confirmed enrollment may be one whose confirmation
 * could not be stored (2316). Asks the server (S1) and records the enrollment if it is active.
 * Best effort: any failure leaves things as they were, for the next start.
 */
export async function repairEnrollment(context: Context, isDeviceActivated: OperationDeclaration): Promise<void> {
  const accountId = context.session.current?.accountId;
  if (accountId === undefined) return;
  const device = await loadDeviceKey(context.store, accountId, context.crypto).catch(() => undefined);
  if (!device || device.enrolledAt !== undefined) return;
  await deviceCall(context, isDeviceActivated, {}).catch(() => undefined);
}
