import { errorBody, HEADERS, INTERNAL_PATHS, OPERATIONS } from "@pims/protocol";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { failureReply } from "./failureReply.js";

/** The routes the SDK calls: the operations, the session refresh and the client check. Nothing else is offered to other origins. */
export const CORS_PATHS: readonly string[] = [
  ...OPERATIONS.flatMap((operation) => (operation.path === null ? [] : [operation.path])),
  INTERNAL_PATHS.refresh,
  INTERNAL_PATHS.client,
];

/** Request headers the SDK sends (transport, device signature, session); lower case. */
export const CORS_REQUEST_HEADERS: readonly string[] = [
  "content-type",
  "authorization",
  "accept",
  "accept-language",
  HEADERS.protocol,
  HEADERS.transactionId,
  HEADERS.deviceId,
  HEADERS.timestamp,
  HEADERS.nonce,
  HEADERS.signature,
  HEADERS.deviceKey,
  HEADERS.transactionSignature,
  HEADERS.clientId,
];

/** Answer headers a page's script may read: the server clock the SDK signs with, and the error code. */
export const CORS_EXPOSED_HEADERS: readonly string[] = [HEADERS.serverTime, "pims-error-code"];

/**
 * Cross-origin access for browser apps served from another origin than Pims
 * (docs/decisions/0021-cors.md). Only origins named exactly in `PIMS_CORS_ORIGINS` get an
 * `Access-Control-Allow-Origin`, echoed, never `*`; credentials are never allowed (the SDK sends
 * bearer tokens, no cookie). Preflights (`OPTIONS`) of the SDK's routes are answered here and
 * cached by the browser for `PIMS_CORS_MAX_AGE` seconds; a preflight from another origin, or one
 * asking for a method or header the SDK does not use, is refused with 403 and 2102.
 *
 * With tenants (decision 0028) each has its web apps' origins: a preflight, which does not say
 * which tenant it is for, passes for an origin of any tenant; the answer itself is readable only
 * by the origins of the tenant that served it, so a page of one brand cannot read what another
 * brand's client id gets.
 */
export function registerCors(app: FastifyInstance, tenants: TenantRegistry): void {
  const settings = tenants.default.services.config.cors;
  const originsOf = (tenant: string | undefined) =>
    (tenant === undefined ? undefined : tenants.get(tenant)?.services.config.cors.origins) ?? settings.origins;
  const anyTenant = {
    has: (origin: string) => tenants.all().some((tenant) => tenant.services.config.cors.origins.includes(origin)),
  };
  const paths = new Set(CORS_PATHS);
  const requestHeaders = new Set(CORS_REQUEST_HEADERS);
  const allowHeaders = CORS_REQUEST_HEADERS.join(", ");
  const exposeHeaders = CORS_EXPOSED_HEADERS.join(", ");

  app.addHook("onSend", async (request, reply) => {
    if (request.method === "OPTIONS" || !paths.has(request.routeOptions.url ?? "")) return;
    // Answers differ by Origin: a shared cache must not hand one origin's answer to another.
    reply.header("vary", "Origin");
    const origin = request.headers.origin;
    if (origin === undefined || !originsOf(request.tenantLabel).includes(origin)) return;
    reply.header("access-control-allow-origin", origin).header("access-control-expose-headers", exposeHeaders);
  });

  const refuse = (reply: FastifyReply, parameter: string) =>
    reply
      .code(403)
      .header("pims-error-code", 2102)
      .send(failureReply(errorBody(2102, { parameter })));

  for (const path of paths) {
    const method = path === INTERNAL_PATHS.client ? "GET" : "POST";
    app.options(path, { config: { operation: "cors.preflight" } }, async (request, reply) => {
      reply.header("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
      const origin = request.headers.origin;
      if (origin === undefined || !anyTenant.has(origin)) return refuse(reply, "Origin");
      if (request.headers["access-control-request-method"] !== method) {
        return refuse(reply, "Access-Control-Request-Method");
      }
      const asked = String(request.headers["access-control-request-headers"] ?? "")
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== "");
      if (asked.some((name) => !requestHeaders.has(name))) return refuse(reply, "Access-Control-Request-Headers");
      return reply
        .code(204)
        .header("access-control-allow-origin", origin)
        .header("access-control-allow-methods", method)
        .header("access-control-allow-headers", allowHeaders)
        .header("access-control-max-age", String(settings.maxAgeSeconds))
        .send();
    });
  }
}
