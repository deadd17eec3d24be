import {
  documentedErrors,
  HEADERS,
  isPlainObject,
  OPERATIONS,
  type OperationDeclaration,
  PROTOCOL_VERSION,
  validateParams,
} from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { verifyDeviceProof } from "../device/verifyDeviceProof.js";
import type { Services } from "../Services.js";
import { authenticate } from "./authenticate.js";
import type { HandlerMap, OperationHandler } from "./OperationHandler.js";
import { PimsError } from "./PimsError.js";

/**
 * One `POST` route per declared operation. Each request goes through the same steps, all derived
 * from the declaration: protocol version (2309), session (2301), parameters (2101/2102), then the
 * capability's handler. Operations without a handler yet answer a documented placeholder code.
 */
export function registerOperations(app: FastifyInstance, services: Services, handlers: HandlerMap): void {
  for (const operation of OPERATIONS) {
    if (operation.path === null) continue;
    const handler = handlers[operation.name] ?? notYetAvailable(operation);
    app.post(operation.path, { config: { operation: operation.name } }, async (request) => {
      checkProtocolVersion(request);
      const principal = operation.access === "session" ? await authenticate(request, services) : undefined;
      const body = request.body ?? {};
      if (!isPlainObject(body)) throw new PimsError(2102, { parameter: "body" });
      const validation = validateParams(operation, body);
      if (!validation.ok) throw new PimsError(validation.failure.code, { parameter: validation.failure.parameter });
      const device =
        operation.device !== "none" && principal
          ? await verifyDeviceProof(request, principal, operation, services)
          : undefined;
      if (operation.device === "enrolled" && !device) throw new PimsError(2313);
      const result = await handler({
        operation,
        params: validation.value,
        principal,
        clientAddress: request.ip,
        request,
        device,
      });
      return { status: "SUCCEEDED", result };
    });
  }
}

/** A client that names a protocol version must name one this server speaks (2309). */
export function checkProtocolVersion(request: FastifyRequest): void {
  const version = request.headers[HEADERS.protocol];
  if (version !== undefined && version !== String(PROTOCOL_VERSION)) throw new PimsError(2309);
}

function notYetAvailable(operation: OperationDeclaration): OperationHandler {
  const errors = documentedErrors(operation);
  const code = [2344, 2314, 2006].find((c) => errors.includes(c)) ?? 2204;
  return async () => {
    throw new PimsError(code, { component: operation.component });
  };
}
