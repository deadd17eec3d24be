import type { RequestListener } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A listening app on a free loopback port. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `app` (an Express app or any `node:http` listener) on a free port of 127.0.0.1: the
 * relying parties of the round-trip suites.
 *
 * @example const rp = await listenOnLoopback(express().get("/x", handler));
 */
export async function listenOnLoopback(app: RequestListener): Promise<Listening> {
  const http = createServer(app).listen(0, "127.0.0.1");
  await new Promise((resolve) => http.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
