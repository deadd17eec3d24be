import type { AddressInfo } from "node:net";
import type express from "express";

/** Starts an Express app on a free loopback port; its URL and how to stop it. */
export async function listen(application: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const http = application.listen(0, "127.0.0.1");
  await new Promise((resolve) => http.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
