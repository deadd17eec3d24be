import type { Duplex } from "node:stream";
import { errorBody, HEADERS } from "@pims/protocol";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";

import secureJsonParse from "secure-json-parse";
import { PimsError } from "../core/PimsError.js";
import { openApi } from "../docs/openApi.js";
import type { Services } from "../Services.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { registerAdminRoutes } from "./adminRoutes.js";
import { registerAssertionRoutes } from "./assertionRoutes.js";
import { registerCors } from "./cors.js";
import { registerDemoRoutes } from "./demoRoutes.js";
import { failureReply } from "./failureReply.js";
import { registerHealthRoutes } from "./healthRoutes.js";
import { registerOperationRoutes } from "./operationRoutes.js";
import { registerRelyingPartyRoutes } from "./relyingPartyRoutes.js";
import { registerSessionRoutes } from "./sessionRoutes.js";

/**
 * A request Node's HTTP parser refused (malformed request line or headers, headers too large,
 * Content-Length with Transfer-Encoding, a timeout): 2102 in the message shape, then close.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, parameter] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", "headers"]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "request"]
        : [400, "Bad Request", "request"];
  const body = JSON.stringify(failureReply(errorBody(2102, { parameter })));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\npims-error-code: 2102\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Largest request body accepted; every Pims request is a few hundred bytes. */
export const BODY_LIMIT = 16 * 1024;

declare module "fastify" {
  interface FastifyContextConfig {
    /** Name of the operation a route serves, for the request log. */
    operation?: string;
  }
}

/**
 * The Fastify application: what every route shares (the body parser that keeps the signed bytes,
 * the server-time header, the request log and metrics, one error path), then each concern's
 * routes from its own file. Whatever fails, the client gets a catalogue code in the message shape,
 * never a stack trace; the log gets the scrubbed cause. `services` are the default tenant's, for
 * what every tenant shares (config, clock, log, metrics); each request of an app or a relying party
 * is served by its own tenant's, from `tenants`.
 */
export function buildApp(services: Services, tenants: TenantRegistry): FastifyInstance {
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    // Fastify's own request lines would log URLs; ours (onResponse below) logs the operation name.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: (_address: string, hop: number) => hop < services.config.trustProxyHops,
    return503OnClosing: true,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    requestIdHeader: false,
    // Errors Fastify answers itself, before any route: in the message shape too (decision 0002).
    frameworkErrors: (_error, _request, reply) =>
      (reply as FastifyReply)
        .code(400)
        .header("pims-error-code", 2102)
        .send(failureReply(errorBody(2102, { parameter: "url" }))),
    clientErrorHandler: answerClientError,
  });

  // Keep the exact body text: a device signature covers these bytes. Same protections as
  // Fastify's own parser (prototype and constructor poisoning are refused).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text === "") return done(null, undefined);
    try {
      done(null, secureJsonParse.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch {
      const error = new Error("invalid JSON body") as Error & { statusCode: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });

  // Devices sign with the server's time as reference.
  app.addHook("onSend", async (_request, reply) => {
    reply.header(HEADERS.serverTime, String(services.clock.now()));
  });

  app.addHook("onResponse", async (request, reply) => {
    const operation = request.routeOptions.config.operation ?? request.routeOptions.url ?? "unknown";
    const code = reply.getHeader("pims-error-code");
    const tenant = request.tenantLabel ?? "deployment";
    services.metrics.request(
      tenant,
      operation,
      code === undefined ? "SUCCEEDED" : String(code),
      reply.elapsedTime / 1000,
    );
    request.log.info(
      { tenant, operation, status: reply.statusCode, code, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });

  app.setErrorHandler((error: FastifyError | PimsError, request, reply) => {
    if (error instanceof PimsError) {
      if (error.cause !== undefined) request.log.warn({ err: error.cause, code: error.code }, "operation failed");
      return reply.code(error.httpStatus).header("pims-error-code", error.code).send(failureReply(error.body));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Malformed JSON, a body over the limit, a content type other than JSON: the body is at fault.
      return reply
        .code(status)
        .header("pims-error-code", 2102)
        .send(failureReply(errorBody(2102, { parameter: "body" })));
    }
    request.log.error({ err: error }, "unexpected failure");
    return reply
      .code(500)
      .header("pims-error-code", 2204)
      .send(failureReply(errorBody(2204)));
  });

  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .header("pims-error-code", 2002)
      .send(failureReply(errorBody(2002))),
  );

  registerHealthRoutes(app, services);

  if (services.config.benchRoutes) {
    // The benchmark's baseline: the same framework, hooks and serialization, no work.
    app.post("/bench/noop", { config: { operation: "bench.noop" } }, async () => ({
      status: "SUCCEEDED",
      result: null,
    }));
  }

  const document = openApi();
  app.get("/openapi.json", { config: { operation: "openapi" } }, async () => document);

  registerCors(app, tenants);
  registerOperationRoutes(app, tenants);
  registerSessionRoutes(app, tenants);
  registerRelyingPartyRoutes(app, tenants);
  registerAssertionRoutes(app, services);
  registerAdminRoutes(app, services, tenants);
  registerDemoRoutes(app, services, tenants);
  return app;
}
