// Load the peer with autocannon: POST /noop (baseline) and the Better Auth TOTP verify
// route with valid codes on prepared, single-use sign-in challenges.
//
//   node bench/peer/bench.mjs [--url http://127.0.0.1:PORT] [--target noop|verify|both]
//        [--duration 10] [--connections 32] [--fixtures 8000] [--amount N]
//
// Without --url it starts its own peer (fresh temp DB) and stops it at the end.
// Prints one JSON summary line per target on stdout.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { totp } from "./totp.mjs";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    target: { type: "string", default: "both" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    fixtures: { type: "string", default: "8000" },
    amount: { type: "string" },
    pragmas: { type: "string", default: "default" },
  },
});

let peer = null;
let tmp = null;
async function startPeer() {
  tmp = mkdtempSync(join(tmpdir(), "peer-bench-"));
  peer = spawn(process.execPath, [new URL("./server.mjs", import.meta.url).pathname], {
    env: {
      ...process.env,
      PORT: "0",
      PEER_DB: join(tmp, "peer.sqlite"),
      PEER_PRAGMAS: args.pragmas,
      // Preparing many challenges takes minutes; keep them alive through the run.
      PEER_CHALLENGE_TTL_S: process.env.PEER_CHALLENGE_TTL_S ?? "3600",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((resolve, reject) => {
    peer.once("exit", (code) => reject(new Error(`peer exited (${code}) before ready`)));
    createInterface({ input: peer.stdout }).once("line", resolve);
  });
  return JSON.parse(line).url;
}
async function stopPeer() {
  if (peer && peer.exitCode === null) {
    const exited = new Promise((r) => peer.once("exit", r));
    peer.kill("SIGTERM");
    await exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

async function getFixtures(base, total) {
  const cookies = [];
  let secret = "";
  const t0 = Date.now();
  while (cookies.length < total) {
    const n = Math.min(1000, total - cookies.length);
    const res = await fetch(`${base}/bench/fixtures?n=${n}`);
    if (!res.ok) throw new Error(`fixtures: HTTP ${res.status} ${await res.text()}`);
    const fx = await res.json();
    secret = fx.secret;
    cookies.push(...fx.cookies);
    process.stderr.write(`\r[bench] fixtures ${cookies.length}/${total} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stderr.write("\n");
  return { secret, cookies, prepMs: Date.now() - t0 };
}

function run(opts) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    process.once("SIGINT", () => inst.stop());
  });
}

function summary(name, r, extra = {}) {
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  return {
    target: name,
    connections: r.connections,
    durationS: r.duration,
    requests: r.requests.total,
    rps: Math.round(r.requests.average),
    ok2xx: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    ...extra,
  };
}

async function main() {
  const base = args.url ?? (await startPeer());
  const common = {
    url: base,
    connections: Number(args.connections),
    duration: Number(args.duration),
    ...(args.amount ? { amount: Number(args.amount) } : {}),
  };

  if (args.target === "noop" || args.target === "both") {
    const r = await run({
      ...common,
      url: `${base}/noop`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"code":"000000"}',
    });
    console.log(JSON.stringify(summary("POST /noop", r)));
  }

  if (args.target === "verify" || args.target === "both") {
    const { secret, cookies, prepMs } = await getFixtures(base, Number(args.fixtures));
    let next = 0;
    let exhausted = 0;
    let step = -1;
    let code = "";
    const r = await run({
      ...common,
      requests: [
        {
          method: "POST",
          path: "/api/auth/two-factor/verify-totp",
          setupRequest(req) {
            const i = next++;
            if (i >= cookies.length) exhausted++;
            const now = Date.now();
            if (Math.floor(now / 30000) !== step) {
              step = Math.floor(now / 30000);
              code = totp(secret, now);
            }
            return {
              ...req,
              headers: {
                "content-type": "application/json",
                origin: base,
                // Past the prepared challenges, reuse the last (answers 401): counted below.
                cookie: cookies[Math.min(i, cookies.length - 1)],
              },
              body: JSON.stringify({ code }),
            };
          },
        },
      ],
    });
    console.log(
      JSON.stringify(
        summary("POST /api/auth/two-factor/verify-totp", r, {
          fixturesPrepared: cookies.length,
          fixturesUsed: Math.min(next, cookies.length),
          requestsPastFixtures: exhausted,
          fixturePrepS: Math.round(prepMs / 1000),
        }),
      ),
    );
  }
}

main()
  .catch((err) => {
    console.error("[bench]", err);
    process.exitCode = 1;
  })
  .finally(stopPeer);
