import pino, { type DestinationStream, type Logger } from "pino";
import { scrub } from "./scrub.js";

/**
 * The server's JSON logger. Errors are reduced to type, code, scrubbed message and stack; pg's
 * `detail` (which quotes row values) and any other property of an error are left out.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "pims" },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: safeError, error: safeError },
    formatters: { level: (label) => ({ level: label }) },
  };
  // stdout written asynchronously: synchronous writes were a fifth of the server's time under load
  // (bench profile). `flushLogger` empties the buffer on shutdown.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** What of an error goes to the log. */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    message: scrub(error.message),
    ...(error.stack ? { stack: scrub(error.stack) } : {}),
    ...(error.cause !== undefined ? { cause: safeError(error.cause) } : {}),
  };
}

/** Writes out what the logger still holds (on shutdown). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
