import type { Config } from "./config/Config.js";
import { createPimsServer, type PimsServer, type ServerOptions } from "./createPimsServer.js";
import { flushLogger } from "./log/createLogger.js";

const SHUTDOWN_GRACE_MS = 10_000;

/** Development mode says so, loudly, on stderr and in the log: it is not for real users. */
function warnDevelopment(url: string, config: Config, server: PimsServer) {
  const inbox = server.services.smsInbox !== undefined;
  const lines = [
    `DEVELOPMENT MODE on ${url} — not for real users.`,
    `  The demo page is served at ${url}/${inbox ? ` and every SMS code is readable by anyone at ${url}/dev/sms` : ""}.`,
    ...(config.secretKey === undefined ? [`  The secret key was generated into ${config.dataDir}/secret.key.`] : []),
    ...(!isLoopback(config.host) ? [`  It listens on ${config.host}, reachable from other machines.`] : []),
    "  For real use: PIMS_MODE=production (docs/deployment.md).",
  ];
  process.stderr.write(`\n${lines.join("\n")}\n\n`);
  server.services.logger.warn({ url, smsInbox: inbox, host: config.host }, "development mode: not for real users");
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * Starts a server for `pims serve`: listens, and on SIGTERM or SIGINT stops accepting, lets the
 * requests in flight finish (at most 10 s), closes the database and exits. `options.tenants`
 * declares tenants instead of `PIMS_TENANTS_FILE` (`--demo-brands`).
 */
export async function startServer(config: Config, options: Pick<ServerOptions, "tenants"> = {}): Promise<PimsServer> {
  const server = await createPimsServer({ config, ...options });
  const url = await server.listen();
  const { logger } = server.services;
  logger.info({ url, mode: config.mode, database: server.services.engine }, "pims is listening");
  if (config.mode === "development") warnDevelopment(url, config, server);
  if (config.mode === "production" && config.publicUrl === undefined) {
    logger.warn({ issuer: url }, "PIMS_PUBLIC_URL is not set: step-up assertions name this listening URL as issuer");
  }
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => flushLogger(logger).finally(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        flushLogger(logger).finally(() => process.exit(1));
      },
    );
  };
  // A rejection nobody handled is a bug to fix, not a reason to drop every request in flight.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return server;
}
