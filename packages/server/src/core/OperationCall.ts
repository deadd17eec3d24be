import type { Operation, OperationName, OperationNamed, ParamsOf, ServerOperationName } from "@pims/protocol";
import type { Kysely, Selectable } from "kysely";
import type { DatabaseSchema, DevicesTable } from "../db/schema.js";
import { PimsError } from "./PimsError.js";

/**
 * What a capability's handler is given and returns. Nothing here knows HTTP: the Fastify adapter
 * (`http/`) builds an {@link OperationCall} from a request, and turns a result or a
 * {@link PimsError} into the answer.
 */

/** The caller of a session operation. `sessionId` is absent for OpenID Connect bearers. */
export interface Principal {
  readonly accountId: string;
  readonly login: string;
  readonly sessionId: string | undefined;
  /**
   * When the user last authenticated (the login that opened the session; an OpenID Connect token's
   * `auth_time`), epoch ms; `undefined` when the bearer does not say.
   */
  readonly authenticatedAt: number | undefined;
}

/** A request whose device signature checked out. */
export interface DeviceProof {
  readonly deviceId: string;
  readonly publicKey: string;
  /** The signed request's `Pims-Timestamp` and `Pims-Nonce`, which a transaction signature names. */
  readonly timestamp: string;
  readonly nonce: string;
  /** `Pims-Transaction-Signature` as received, not yet checked (decision 0025). */
  readonly transactionSignature: string | undefined;
  /** The server's record of the device; absent for a device that never validated a code. */
  readonly record: Selectable<DevicesTable> | undefined;
  /**
   * Spends the request's nonce in `trx`, the transaction of what the request does (2311 when it
   * was spent already: a replay). The route leaves this to the handlers of the operations in
   * {@link NONCE_IN_TRANSACTION} and refuses their answer if they did not; for every other
   * operation the nonce was spent before the handler ran, and this resolves at once.
   */
  spendNonce(trx: Kysely<DatabaseSchema>): Promise<void>;
  /**
   * Spends the nonce on its own, whatever became of the handler's transaction: the route calls it
   * when a handler of {@link NONCE_IN_TRANSACTION} failed, so that a request refused before its
   * transaction, or whose transaction rolled back, cannot be replayed once the cause is gone (as
   * when every nonce was spent before the handler). A nonce already spent is left as it is.
   */
  spendNonceAfterFailure(): Promise<void>;
  /** True once the nonce is spent (or being spent before the handler: every other operation). */
  readonly nonceSpent: boolean;
}

/**
 * Operations whose handler spends the nonce in its own transaction ({@link DeviceProof.spendNonce}),
 * first in it: S15 and S16, the hot path, so that the nonce commits with the PIN attempt, the OTP
 * and its audit row — one commit (one fsync on PostgreSQL) instead of two.
 */
export const NONCE_IN_TRANSACTION: ReadonlySet<OperationName> = new Set(["otp.withPIN", "otp.withoutPIN"]);

type Declared<N extends OperationName> = OperationNamed<N>;

/**
 * One call of operation `N`, its parameters validated against the declaration. The route layer
 * guarantees what the declaration promises: a principal for `session` operations, a device proof
 * for `enrolled` ones (2301 and 2313 before the handler runs). For a union of names, the union of
 * their calls.
 */
export type OperationCall<N extends ServerOperationName> = N extends ServerOperationName ? CallOf<N> : never;

interface CallOf<N extends ServerOperationName> {
  readonly operation: Declared<N>;
  /** Declared parameters, validated and normalized. */
  readonly params: ParamsOf<N>;
  readonly principal: Declared<N>["access"] extends "session" ? Principal : undefined;
  /** The device that signed the request, when it did. */
  readonly device: Declared<N>["device"] extends "enrolled"
    ? DeviceProof
    : Declared<N>["device"] extends "none"
      ? undefined
      : DeviceProof | undefined;
  readonly clientAddress: string;
  /** The request's `Accept-Language`, for the texts a call sends (SMS). */
  readonly acceptLanguage: string | undefined;
}

/** Runs one operation; returns its result (`null` when it has no output) or throws a PimsError. */
export type OperationHandler<N extends ServerOperationName> = (call: OperationCall<N>) => Promise<unknown>;

/** A handler for every operation the server answers: one missing does not compile. */
export type HandlerMap = { readonly [N in ServerOperationName]: OperationHandler<N> };

/** The handlers of some operations, as a capability provides them. */
export type Handlers<N extends ServerOperationName> = Pick<HandlerMap, N>;

/** Operations the server answers for a logged-in user. */
export type SessionOperationName = Extract<Operation, { readonly access: "session" }>["name"] & ServerOperationName;

/** What shared checks read of a session call, whatever the operation. */
export interface Caller {
  readonly operation: { readonly name: OperationName };
  readonly principal: Principal;
  readonly device: DeviceProof | undefined;
  readonly clientAddress: string;
  readonly acceptLanguage: string | undefined;
}

/** The signing device of the call; 2313 when the request was not signed by one. */
export function deviceOf(call: { readonly device: DeviceProof | undefined }): DeviceProof {
  if (!call.device) throw new PimsError(2313);
  return call.device;
}
