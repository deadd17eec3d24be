import type { Duplex } from "node:stream";
import { errorBody, HEADERS, INTERNAL_PATHS } from "@pims/protocol";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";

import secureJsonParse from "secure-json-parse";
import { registerAdminRoutes } from "../admin/registerAdminRoutes.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import { registerDemoRoutes } from "../demo/registerDemoRoutes.js";
import { openApi } from "../docs/openApi.js";
import { registerRelyingPartyRoutes } from "../relyingParty/registerRelyingPartyRoutes.js";
import type { Services } from "../Services.js";
import { registerCors } from "./cors.js";
import { failureReply } from "./failureReply.js";
import type { HandlerMap } from "./OperationHandler.js";
import { PimsError } from "./PimsError.js";
import { registerHealthRoutes } from "./registerHealthRoutes.js";
import { registerOperations } from "./registerOperations.js";

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
 * The Fastify application: operation routes, the session refresh route, `/health`, and one
 * error path. Whatever fails, the client gets a catalogue code in the message shape, never a
 * stack trace; the log gets the scrubbed cause.
 */
export function buildApp(services: Services, handlers: HandlerMap): FastifyInstance {
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
    services.metrics.request(operation, code === undefined ? "SUCCEEDED" : String(code), reply.elapsedTime / 1000);
    request.log.info({ operation, status: reply.statusCode, code, ms: Math.round(reply.elapsedTime) }, "request");
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

  app.get("/metrics", { config: { operation: "metrics" } }, async (request, reply) => {
    const token = services.config.metricsToken;
    if (token !== undefined && !constantTimeEqual(request.headers.authorization ?? "", `Bearer ${token}`)) {
      throw new PimsError(2301);
    }
    return reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });

  app.post(INTERNAL_PATHS.refresh, async (request) => {
    const token = (request.body as { refreshToken?: unknown } | null)?.refreshToken;
    if (token === undefined || token === null || token === "") throw new PimsError(2101, { parameter: "refreshToken" });
    if (typeof token !== "string" || !/^prt_[A-Za-z0-9_-]{43}$/.test(token)) {
      throw new PimsError(2102, { parameter: "refreshToken" });
    }
    const tokens = await services.sessions.rotate(token);
    if (!tokens) throw new PimsError(2301);
    return { status: "SUCCEEDED", result: tokens };
  });

  const inbox = services.smsInbox;
  if (inbox) {
    // Development only: the SMS the console provider "sent", for the demo page and tests.
    app.get("/dev/sms", async (request) => {
      const to = (request.query as { to?: unknown }).to;
      return { messages: inbox.list(typeof to === "string" ? to : undefined) };
    });
  }

  registerCors(app, services.config.cors);
  registerOperations(app, services, handlers);
  registerRelyingPartyRoutes(app, services);
  registerAdminRoutes(app, services);
  registerDemoRoutes(app, services);
  return app;
}
