import type { Config } from "./config/Config.js";
import { createPimsServer, type PimsServer } from "./createPimsServer.js";
import { flushLogger } from "./log/createLogger.js";

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Starts a server for `pims serve`: listens, and on SIGTERM or SIGINT stops accepting, lets the
 * requests in flight finish (at most 10 s), closes the database and exits.
 */
export async function startServer(config: Config): Promise<PimsServer> {
  const server = await createPimsServer({ config });
  const url = await server.listen();
  const { logger } = server.services;
  logger.info({ url, mode: config.mode, database: server.services.engine }, "pims is listening");
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
