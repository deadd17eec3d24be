import { HEADERS, OPERATIONS, type OperationNamed, PROTOCOL_VERSION, type ServerOperationName } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { NONCE_IN_TRANSACTION, type OperationCall } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import { type SignedRequest, verifyDeviceProof } from "../device/verifyDeviceProof.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { authenticate } from "./authenticate.js";
import { clientTenant } from "./clientTenant.js";

type ServerOperation = OperationNamed<ServerOperationName>;
/** A call of some operation, as the route builds it; its handler's own type is narrower. */
type AnyCall = OperationCall<ServerOperationName>;

declare module "fastify" {
  interface FastifyRequest {
    /** The exact body bytes, as text: what a device signature covers (kept by buildApp's parser). */
    rawBody?: string;
  }
}

/**
 * One `POST` route per declared operation. Each request goes through the same steps, all derived
 * from the declaration: protocol version (2309), session (2301), parameters (2101/2102), device
 * signature (2311/2312/2313), then the capability's handler. Before all, the tenant of the app's
 * client id (2006): the tenant's handlers and owners serve the request, so a token, a device or an
 * OTP of another tenant is unknown here. Each tenant's `handlers` has one for every operation the
 * server answers: the compiler sees to it.
 */
export function registerOperationRoutes(app: FastifyInstance, tenants: TenantRegistry): void {
  for (const operation of OPERATIONS.filter((op): op is ServerOperation => op.path !== null)) {
    app.post(operation.path, { config: { operation: operation.name } }, async (request) => {
      checkProtocolVersion(request);
      const { services, handlers } = await clientTenant(request, tenants);
      // The one place a handler meets a request: validation below gives it the parameters its
      // declaration types, the steps before it the principal and device its declaration promises.
      const handler = handlers[operation.name] as (call: AnyCall) => Promise<unknown>;
      const principal = operation.access === "session" ? await authenticate(request, services) : undefined;
      const body = request.body ?? {};
      const params = readParams(operation, body);
      // Spent in the handler's transaction where the nonce store writes in it; Redis's, before.
      const nonceInTransaction = NONCE_IN_TRANSACTION.has(operation.name) && services.nonces.joinsTransactions;
      const device =
        operation.device !== "none" && principal
          ? await verifyDeviceProof(signedRequest(request), principal, operation, services, nonceInTransaction)
          : undefined;
      if (operation.device === "enrolled" && !device) throw new PimsError(2313);
      const call = {
        operation,
        params,
        principal,
        clientAddress: request.ip,
        acceptLanguage: header(request, "accept-language"),
        device,
      } as AnyCall;
      let result: unknown;
      try {
        result = await handler(call);
      } catch (error) {
        // A handler that spends the nonce in its transaction may have failed before it, or rolled
        // it back: the signed request was answered, so its copy must not be served later. If the
        // store cannot be reached, the handler's error is the answer (and nothing was done).
        if (device && nonceInTransaction) await device.spendNonceAfterFailure().catch(() => undefined);
        throw error;
      }
      // A handler that was to spend the nonce and did not: its answer could be a replay's.
      if (device && !device.nonceSpent) throw new Error(`${operation.name} answered without spending its nonce`);
      return { status: "SUCCEEDED", result };
    });
  }
}

/** A client that names a protocol version must name one this server speaks (2309). */
export function checkProtocolVersion(request: FastifyRequest): void {
  const version = request.headers[HEADERS.protocol];
  if (version !== undefined && version !== String(PROTOCOL_VERSION)) throw new PimsError(2309);
}

/** What a device signature covers, from the request as Fastify received it. */
function signedRequest(request: FastifyRequest): SignedRequest {
  return {
    method: request.method,
    path: request.routeOptions.url ?? "",
    header: (name) => header(request, name),
    body: request.rawBody ?? "",
  };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}
