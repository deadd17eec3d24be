import { connect, type Socket } from "node:net";
import type { Recorded } from "./recordingFetch.js";
import type { TestServer } from "./startTestServer.js";

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: { status: string; result?: unknown; error?: { code: number; label: string } };
}

/** Connections the in-process server has accepted. */
const accepted = (server: TestServer) =>
  new Promise<number>((resolve, reject) =>
    server.server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

/**
 * Sends `requests` so that `server` (running in this process) reads them all in one turn of its
 * event loop: each is written to its own connected socket, then the loop is held (Atomics.wait);
 * when it resumes, the server reads them all in one poll phase. Requests to another server (a
 * spawned one, whose loop this process does not hold) are given the time it takes.
 */
export async function inOneTurn(server: TestServer, requests: readonly Recorded[]): Promise<Answer[]> {
  const local = requests.filter((request) => request.url.startsWith(server.url)).length;
  const before = await accepted(server);
  const sockets = await Promise.all(
    requests.map(
      (request) =>
        new Promise<Socket>((resolve, reject) => {
          const url = new URL(request.url);
          const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  // The server has accepted every connection before anything is written (a spawned server's
  // requests, which this process's loop does not hold, are given the time it takes).
  for (let waited = 0; (await accepted(server)) < before + local && waited < 5_000; waited += 5)
    await new Promise((resolve) => setTimeout(resolve, 5));
  if (local < requests.length) await new Promise((resolve) => setTimeout(resolve, 100));
  const answers = sockets.map(answerOf);
  for (const [i, request] of requests.entries()) (sockets[i] as Socket).write(rawRequest(request));
  // Every request is now in its socket's buffer: hold the loop so the server reads them together.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
  return Promise.all(answers);
}

function rawRequest(request: Recorded): string {
  const url = new URL(request.url);
  const headers = { ...request.headers, host: url.host, connection: "close" } as Record<string, string>;
  headers["content-length"] = String(Buffer.byteLength(request.body));
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `POST ${url.pathname} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n${request.body}`;
}

function answerOf(socket: Socket): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const split = raw.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]);
      const text = raw.slice(split + 4);
      resolve({ status, text, body: JSON.parse(text) as Answer["body"] });
    });
  });
}
