import { readFile } from "node:fs/promises";
import { join, normalize } from "node:path";
import { rawServer } from "./rawServers.js";
import { REPOSITORY_ROOT } from "./spawnPims.js";

/**
 * A web app on its own origin (another loopback port than Pims): a page that loads the built SDK
 * modules from this origin, as an app bundling `@pims/sdk` would, and exposes them to the test as
 * `window.app`. The page takes the Pims URL from its query string: `/?pims=http://127.0.0.1:…`.
 */
export async function startAppOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const roots: Record<string, string> = {
    "/sdk/": join(REPOSITORY_ROOT, "packages", "sdk", "dist"),
    "/protocol/": join(REPOSITORY_ROOT, "packages", "protocol", "dist"),
  };
  return rawServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://app").pathname;
    const send = (type: string, body: string | Buffer) => {
      response.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    if (path === "/") return send("text/html; charset=utf-8", PAGE);
    if (path === "/app.js") return send("text/javascript; charset=utf-8", SCRIPT);
    for (const [prefix, root] of Object.entries(roots)) {
      const file = normalize(join(root, path.slice(prefix.length)));
      if (path.startsWith(prefix) && path.endsWith(".js") && file.startsWith(root)) {
        try {
          return send("text/javascript; charset=utf-8", await readFile(file));
        } catch {
          break;
        }
      }
    }
    response.writeHead(404).end();
  });
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>An app on its own origin</title>
<script type="importmap">${JSON.stringify({ imports: { "@pims/sdk": "/sdk/index.js", "@pims/protocol": "/protocol/index.js" } })}</script>
<script type="module" src="/app.js"></script></head><body><p>app</p></body></html>`;

const SCRIPT = `import { createPims, indexedDbStore } from "@pims/sdk";
const pims = createPims();
const store = indexedDbStore("app-on-its-own-origin");
window.app = {
  initialize: () => pims.initialize({ serverUrl: new URLSearchParams(location.search).get("pims"), store }),
  get: (api, params) => pims.get(api, params),
  set: (api, params) => pims.set(api, params),
};
document.documentElement.dataset.ready = "true";`;

/**
 * The demo page's files served as they are, by a host whose Pims API is down: every other request
 * (`/health`, `/v1/…`, `/dev/sms`) has its connection dropped without an answer, as a crashed or
 * unreachable server's would be. What a page sees when Pims goes away after serving it.
 */
export async function startDemoWithServerDown(
  options: { withoutSdk?: boolean } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const roots: Record<string, string> = {
    "/demo/": join(REPOSITORY_ROOT, "packages", "server", "demo"),
    "/sdk/": join(REPOSITORY_ROOT, "packages", "sdk", "dist"),
    "/protocol/": join(REPOSITORY_ROOT, "packages", "protocol", "dist"),
  };
  const importMap = JSON.stringify({
    imports: { "@pims/sdk": "/sdk/index.js", "@pims/protocol": "/protocol/index.js" },
  });
  const types: Record<string, string> = { js: "text/javascript", css: "text/css", html: "text/html" };
  return rawServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://demo").pathname;
    const send = (file: string, transform = (text: string) => text) =>
      readFile(file, "utf8").then(
        (text) => {
          response.writeHead(200, {
            "content-type": `${types[file.split(".").pop() ?? ""] ?? "text/plain"}; charset=utf-8`,
          });
          response.end(transform(text));
        },
        () => response.writeHead(404).end(),
      );
    if (path === "/") {
      return send(join(roots["/demo/"] as string, "index.html"), (page) =>
        page.replace(/<script type="importmap">[^<]*<\/script>/, `<script type="importmap">${importMap}</script>`),
      );
    }
    for (const [prefix, root] of Object.entries(roots)) {
      const file = normalize(join(root, path.slice(prefix.length)));
      if (options.withoutSdk && prefix === "/sdk/") break;
      if (path.startsWith(prefix) && file.startsWith(root)) return send(file);
    }
    request.socket.destroy();
  });
}

/**
 * A reverse proxy to a Pims server that answers `/dev/sms` with 404, as a development server whose
 * SMS provider is not the console one does (it has no inbox). Counts the inbox requests.
 */
export async function proxyWithoutInbox(target: string) {
  let inboxRequests = 0;
  const host = await rawServer(async (request, response) => {
    if (new URL(request.url ?? "/", "http://proxy").pathname === "/dev/sms") {
      inboxRequests += 1;
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: "FAILED", error: { code: 2002, label: "API not supported" } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === "string" && !["host", "connection", "content-length"].includes(entry[0]),
      ),
    );
    const method = request.method ?? "GET";
    const upstream = await fetch(`${target}${request.url}`, {
      method,
      headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const answerHeaders: Record<string, string> = {};
    const hopByHop = ["content-length", "content-encoding", "transfer-encoding", "connection"];
    upstream.headers.forEach((value, name) => {
      if (!hopByHop.includes(name)) answerHeaders[name] = value;
    });
    response.writeHead(upstream.status, { ...answerHeaders, "content-length": String(body.length) });
    response.end(body);
  });
  return { ...host, inboxRequests: () => inboxRequests };
}
