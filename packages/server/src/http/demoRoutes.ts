import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeValue, OTP_FORMAT } from "@pims/protocol";
import { checkStepUp } from "@pims/relying-party";
import type { FastifyInstance, FastifyReply } from "fastify";
import { PimsError } from "../core/PimsError.js";
import { readVerifyRequest, verifyForRelyingParty } from "../relyingParty/verifyForRelyingParty.js";
import type { Services } from "../Services.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { clientTenant } from "./clientTenant.js";
import { CORS_PATHS } from "./cors.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/** Header of the demo page's requests: answer expected failures with 200 (see below). */
const QUIET_HEADER = "pims-failure-status";

/** The import map of the demo page: the SDK's own ES modules, served as they are built. */
export const IMPORT_MAP = JSON.stringify({
  imports: { "@pims/sdk": "/sdk/index.js", "@pims/protocol": "/protocol/index.js" },
});

/**
 * Development mode only: `/dev/sms` (with the console SMS provider), the demo page at `/` (the real SDK in the browser, an IndexedDB store),
 * the SDK's modules, and a protected sample endpoint, `POST /demo/api/unlock`, that answers 2302
 * until the call carries an OTP obtained with the PIN for that very command (a signed transaction).
 */
export function registerDemoRoutes(app: FastifyInstance, services: Services, tenants: TenantRegistry): void {
  const inbox = services.smsInbox;
  if (inbox) {
    // Development with the console provider only: the SMS it "sent", for the demo page and tests.
    app.get("/dev/sms", async (request) => {
      const to = (request.query as { to?: unknown }).to;
      return { messages: inbox.list(typeof to === "string" ? to : undefined) };
    });
  }
  if (services.config.mode !== "development") return;
  const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
  const roots = {
    demo: here("../../demo/"),
    sdk: here("../../../sdk/dist/"),
    protocol: here("../../../protocol/dist/"),
  };
  const importMapHash = createHash("sha256").update(IMPORT_MAP).digest("base64");
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");

  // The browser logs every 4xx answer to `fetch` as a console error; the demo meets many on
  // purpose. Asked by the demo page (development mode only), a FAILED message of an SDK route is
  // answered with HTTP 200: the SDK reads the code in the message, the status is kept in a header.
  const sdkRoutes = new Set(CORS_PATHS);
  app.addHook("onSend", async (request, reply) => {
    if (request.headers[QUIET_HEADER] !== "200" || !reply.hasHeader("pims-error-code")) return;
    if (!sdkRoutes.has(request.routeOptions.url ?? "")) return;
    const status = reply.statusCode;
    if (status >= 400 && status < 500) reply.code(200).header("pims-status", String(status));
  });

  app.get("/", { config: { operation: "demo.page" } }, async (_request, reply) => {
    const page = (await readFile(join(roots.demo, "index.html"), "utf8")).replace(
      /<script type="importmap">[^<]*<\/script>/,
      `<script type="importmap">${IMPORT_MAP}</script>`,
    );
    return reply
      .type(TYPES[".html"] as string)
      .header("content-security-policy", csp)
      .send(page);
  });
  for (const [prefix, root] of [
    ["/demo/", roots.demo],
    ["/sdk/", roots.sdk],
    ["/protocol/", roots.protocol],
  ] as const) {
    app.get(`${prefix}*`, { config: { operation: "demo.static" } }, async (request, reply) =>
      serveFile(root, (request.params as { "*": string })["*"], reply),
    );
  }

  // The protected sample: a remote vehicle command, authorized for this very transaction (decision
  // 0025): the OTP must have been asked, with the PIN, for the same command on the same VIN.
  app.post("/demo/api/unlock", { config: { operation: "demo.unlock" } }, async (request, reply) => {
    const body = (request.body ?? {}) as { vin?: unknown };
    const vin = typeof body.vin === "string" ? body.vin : "";
    // No VIN, no transaction: refused before any OTP is looked at (an OTP bound to none must not pass).
    if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin)) throw new PimsError(2102, { parameter: "vin" });
    // The sample API serves the brand of the app that calls it (its client id, as the SDK's own calls).
    const tenant = await clientTenant(request, tenants);
    const decision = await checkStepUp(
      request,
      request.headers,
      async (input) => {
        const otp = normalizeValue(OTP_FORMAT, input.otp);
        if (otp === undefined) return { valid: false };
        return verifyForRelyingParty(tenant.services, "rp_demo", readVerifyRequest({ ...input, otp }), request.ip);
      },
      {
        acr: "pims:possession+knowledge",
        transaction: () => ({ type: "vehicle.unlock", vin }),
      },
    );
    if (!decision.ok)
      return reply.code(decision.refusal.status).headers(decision.refusal.headers).send(decision.refusal.body);
    return {
      status: "SUCCEEDED",
      result: {
        unlocked: vin,
        by: decision.stepUp.account.username,
        factors: decision.stepUp.factors,
        signedBy: decision.stepUp.device,
      },
    };
  });
}

async function serveFile(root: string, relative: string, reply: FastifyReply) {
  const type = TYPES[extname(relative)];
  const path = normalize(join(root, relative));
  if (!/^[A-Za-z0-9_./-]+$/.test(relative) || relative.includes("..") || !path.startsWith(root) || type === undefined) {
    throw new PimsError(2002, { httpStatus: 404 });
  }
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch {
    throw new PimsError(2002, { httpStatus: 404 });
  }
  return reply.type(type).header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(content);
}
