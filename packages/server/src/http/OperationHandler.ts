import type { OperationDeclaration } from "@pims/protocol";
import type { FastifyRequest } from "fastify";
import type { DeviceProof } from "../device/verifyDeviceProof.js";
import { PimsError } from "./PimsError.js";

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

export interface OperationCall {
  readonly operation: OperationDeclaration;
  /** Declared parameters, validated and normalized. */
  readonly params: Readonly<Record<string, string>>;
  /** Present for `session` operations. */
  readonly principal: Principal | undefined;
  readonly clientAddress: string;
  readonly request: FastifyRequest;
  /** The device that signed the request, when it did (operations with `device` other than `none`). */
  readonly device: DeviceProof | undefined;
}

/** Runs one operation; returns its result (`null` when it has no output) or throws a PimsError. */
export type OperationHandler = (call: OperationCall) => Promise<unknown>;

/** Handlers by operation name (`otp.withPIN`, …). */
export type HandlerMap = Readonly<Record<string, OperationHandler>>;

/** The principal of a session operation; the route layer guarantees it is there. */
export function principalOf(call: OperationCall): Principal {
  if (!call.principal) throw new Error(`${call.operation.name} called without a principal`);
  return call.principal;
}

/** The signing device of the call; 2313 when the request was not signed by one. */
export function deviceOf(call: OperationCall): DeviceProof {
  if (!call.device) throw new PimsError(2313);
  return call.device;
}
