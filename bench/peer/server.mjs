// Peer server for the Pims benchmark: Better Auth 1.7 + twoFactor (TOTP) on SQLite,
// served over plain node:http. Bench-only; never expose it.
//
//   PORT=0 PEER_DB=/tmp/peer.sqlite node bench/peer/server.mjs
//
// Env:
//   PORT          port to listen on (0 = any free port; default 0)
//   PEER_DB       path to a fresh SQLite file (required; must not exist or be empty)
//   PEER_PRAGMAS  "default" (default: better-sqlite3/SQLite defaults, i.e. what
//                 Better Auth gets when handed a plain Database) or "pims"
//                 (journal_mode=WAL, synchronous=NORMAL, as Pims' openDatabase.ts)
//   PEER_CHALLENGE_TTL_S  lifetime of a sign-in challenge (twoFactorCookieMaxAge);
//                 default 600 = Better Auth's default
//
// Prints exactly one JSON line on stdout when ready:
//   {"url":"http://127.0.0.1:<port>","msg":"peer is listening"}
// Everything else (Better Auth's logger, errors) goes to stderr.
import { existsSync, statSync } from "node:fs";
import http from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { twoFactor } from "better-auth/plugins";
import Database from "better-sqlite3";
import { totp } from "./totp.mjs";

const SECRET = "pims-bench-peer-fixed-secret-0123456789abcdef";
const EMAIL = "bench@peer.test";
const PASSWORD = "correct horse battery staple 42";
const TWO_FACTOR_COOKIE = "better-auth.two_factor"; // http baseURL => no __Secure- prefix
const MAX_FIXTURES = 200_000;
const SIGNIN_CONCURRENCY = 8;
// Better Auth's twoFactorCookieMaxAge (its default is 600 s). Raising it only changes
// the expiry stored with each challenge, not the work done to verify one.
const CHALLENGE_TTL_S = Number(process.env.PEER_CHALLENGE_TTL_S ?? "600");

const log = (...a) => console.error("[peer]", ...a);

const dbPath = process.env.PEER_DB;
if (!dbPath) {
  log("PEER_DB is required (path to a fresh SQLite file)");
  process.exit(2);
}
if (existsSync(dbPath) && statSync(dbPath).size > 0) {
  log(`PEER_DB ${dbPath} is not fresh (exists and is not empty)`);
  process.exit(2);
}
const pragmas = process.env.PEER_PRAGMAS ?? "default";
const db = new Database(dbPath);
if (pragmas === "pims") {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
} else if (pragmas !== "default") {
  log(`unknown PEER_PRAGMAS=${pragmas}`);
  process.exit(2);
}

let authHandler = null; // set once Better Auth is ready
let baseURL = "";
let totpSecret = ""; // base32, from the totpURI

const server = http.createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "POST" && url === "/noop") {
    // Baseline: drain the body, answer at once.
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "11" });
      res.end('{"ok":true}');
    });
    return;
  }
  if (!authHandler) return sendJson(res, 503, { error: "starting" });
  if (url === "/api/auth" || url.startsWith("/api/auth/")) return authHandler(req, res);
  if (req.method === "GET" && (url === "/bench/fixtures" || url.startsWith("/bench/fixtures?"))) {
    fixtures(req, res).catch((err) => {
      log("fixtures failed:", err);
      if (!res.headersSent) sendJson(res, 500, { error: String(err?.message ?? err) });
      else res.destroy();
    });
    return;
  }
  sendJson(res, 404, { error: "not found" });
});

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** POST JSON to Better Auth through the real HTTP server. */
async function post(path, body, cookie) {
  const headers = { "content-type": "application/json", origin: baseURL };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${baseURL}/api/auth${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, setCookies: res.headers.getSetCookie() };
}

/** Cookie header value (name=value pairs) from Set-Cookie lines, skipping expired ones. */
function cookieHeader(setCookies, only) {
  const pairs = [];
  for (const line of setCookies) {
    const [pair, ...attrs] = line.split(";");
    const name = pair.slice(0, pair.indexOf("=")).trim();
    if (only && name !== only) continue;
    if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) continue;
    pairs.push(pair.trim());
  }
  return pairs.join("; ");
}

function expect(step, r, status = 200) {
  if (r.status !== status) {
    throw new Error(`${step}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  }
}

/** One real sign-in that Better Auth answers with a two-factor challenge. */
async function signInChallenge() {
  const r = await post("/sign-in/email", { email: EMAIL, password: PASSWORD });
  expect("sign-in (challenge)", r);
  if (r.json?.twoFactorRedirect !== true) {
    throw new Error(`sign-in did not answer a two-factor challenge: ${JSON.stringify(r.json)}`);
  }
  const cookie = cookieHeader(r.setCookies, TWO_FACTOR_COOKIE);
  if (!cookie) throw new Error("sign-in answered no two_factor cookie");
  return cookie;
}

async function fixtures(req, res) {
  const q = new URL(req.url, baseURL).searchParams;
  const n = Number(q.get("n") ?? "1");
  if (!Number.isInteger(n) || n < 1 || n > MAX_FIXTURES) {
    return sendJson(res, 400, { error: `n must be an integer in 1..${MAX_FIXTURES}` });
  }
  const started = Date.now();
  // First challenge first, so a failing sign-in still gets a proper error status.
  const first = await signInChallenge();
  // Stream the rest: preparing thousands of challenges takes minutes, longer than
  // a client's default header timeout.
  res.writeHead(200, { "content-type": "application/json" });
  const head = {
    secret: totpSecret,
    verify: {
      method: "POST",
      url: `${baseURL}/api/auth/two-factor/verify-totp`,
      headers: { "content-type": "application/json", origin: baseURL },
      body: { code: "<6-digit TOTP>" },
    },
    singleUse: true,
    // Each challenge expires challengeTtlSeconds after its own sign-in;
    // expiresAt is the earliest of them.
    challengeTtlSeconds: CHALLENGE_TTL_S,
    expiresAt: started + CHALLENGE_TTL_S * 1000,
  };
  res.write(`${JSON.stringify(head).slice(0, -1)},"cookies":[${JSON.stringify(first)}`);
  let next = 1;
  const worker = async () => {
    while (next < n) {
      next++;
      const cookie = await signInChallenge();
      res.write(`,${JSON.stringify(cookie)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIGNIN_CONCURRENCY, n - 1) }, worker));
  res.end(`],"preparedMs":${Date.now() - started}}`);
}

/** Sign up, sign in, enable TOTP and verify it, all through the HTTP API. */
async function bootstrap() {
  const up = await post("/sign-up/email", { email: EMAIL, password: PASSWORD, name: "Bench" });
  expect("sign-up", up);
  const signIn = await post("/sign-in/email", { email: EMAIL, password: PASSWORD });
  expect("sign-in", signIn);
  let session = cookieHeader(signIn.setCookies);
  const enable = await post("/two-factor/enable", { password: PASSWORD }, session);
  expect("two-factor/enable", enable);
  const uri = new URL(enable.json.totpURI);
  totpSecret = uri.searchParams.get("secret");
  if (!totpSecret) throw new Error(`no secret in totpURI ${enable.json.totpURI}`);
  session = mergeCookies(session, enable.setCookies);
  // Enabling TOTP requires one verification with a current code (sets verified=true
  // and user.twoFactorEnabled=true).
  const verify = await post("/two-factor/verify-totp", { code: totp(totpSecret) }, session);
  expect("two-factor/verify-totp (enable)", verify);
  // Sanity: a fresh sign-in must now be challenged.
  await signInChallenge();
}

function mergeCookies(header, setCookies) {
  const jar = new Map(
    header
      .split(";")
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf("=")), p]),
  );
  for (const line of setCookies) {
    const pair = line.split(";")[0].trim();
    const name = pair.slice(0, pair.indexOf("="));
    if (/;\s*max-age=0\s*(;|$)/i.test(line)) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join("; ");
}

async function main() {
  const port = Number(process.env.PORT ?? "0");
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  baseURL = `http://127.0.0.1:${server.address().port}`;

  const options = {
    appName: "pims-bench-peer",
    baseURL,
    secret: SECRET,
    database: db,
    emailAndPassword: { enabled: true },
    plugins: [twoFactor({ twoFactorCookieMaxAge: CHALLENGE_TTL_S })],
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: "warn", log: (level, msg, ...args) => console.error(`[better-auth ${level}]`, msg, ...args) },
  };
  const { runMigrations, toBeCreated, toBeAdded } = await getMigrations(options);
  await runMigrations();
  log(`migrated: created ${toBeCreated.map((t) => t.table).join(",") || "-"}; added ${toBeAdded.length}`);
  const auth = betterAuth(options);
  authHandler = toNodeHandler(auth);

  await bootstrap();
  log(`ready (pragmas=${pragmas}, journal_mode=${db.pragma("journal_mode", { simple: true })})`);
  process.stdout.write(`${JSON.stringify({ url: baseURL, msg: "peer is listening" })}\n`);
}

const shutdown = () => {
  server.close();
  server.closeAllConnections?.();
  try {
    db.close();
  } catch {}
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

main().catch((err) => {
  log("failed to start:", err);
  process.exit(1);
});
