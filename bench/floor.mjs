// How near can a verification on SQLite come to a bare Fastify route, with its durable writes?
// Measures, in one run and with the same pinning as `npm run bench`: the bare route, the floor
// (baseline/floorSqlite.mjs: only a verification's statements, on Pims' schema) with one commit per
// request and with the requests of one event-loop turn sharing a commit, and prints the ratios.
//
//   node bench/floor.mjs            (FLOOR_SECONDS=10, 32 connections)
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { createPimsServer, loadConfig } from "@pims/server";
import { httpLoad } from "./lib/load.mjs";
import { startProcess } from "./lib/startProcess.mjs";

const SECONDS = Number(process.env.FLOOR_SECONDS ?? 10);
const CONNECTIONS = 32;
const ACCOUNTS = 1000;
const OTPS = Number(process.env.FLOOR_OTPS ?? 600_000);
const root = new URL("..", import.meta.url).pathname;
const pin = availableParallelism() >= 2;
if (pin) execFileSync("taskset", ["-a", "-cp", "1", String(process.pid)], { stdio: "ignore" });
const pinned = (script) => (pin ? ["taskset", ["-c", "0", "node", script]] : ["node", [script]]);

const dir = await mkdtemp(join(tmpdir(), "pims-floor-"));
const file = join(dir, "floor.db");
const key = randomBytes(32);
// Pims' own schema, by its migrations.
const pims = await createPimsServer({
  config: loadConfig({
    PIMS_DATA_DIR: dir,
    PIMS_DATABASE_URL: `sqlite:${file}`,
    PIMS_SECRET_KEY: randomBytes(32).toString("base64url"),
  }),
  logDestination: { write: () => true },
});
await pims.close();
const Database = createRequire(join(root, "packages/server/package.json"))("better-sqlite3");
const db = new Database(file);
const now = Date.now();
db.transaction(() => {
  const account = db.prepare("insert into accounts (id, login, created_at, tenant_id) values (?, ?, ?, 'default')");
  for (let a = 0; a < ACCOUNTS; a++) account.run(`acct${a}`, `user${a}`, now);
  const otp = db.prepare(
    `insert into otps (id, account_id, device_id, otp_mac, factors, issued_at, expires_at, methods, tenant_id)
     values (?, ?, ?, ?, 'device+pin', ?, ?, '["hwk","pin"]', 'default')`,
  );
  for (let i = 0; i < OTPS; i++) {
    const mac = createHmac("sha256", key).update(`otp${i}`).digest("base64url");
    otp.run(`o${i}`, `acct${i % ACCOUNTS}`, `dev${i % ACCOUNTS}`, mac, now, now + 3_600_000);
  }
})();
db.close();

const rows = [];
async function measure(name, script, env, path, next) {
  const [command, args] = pinned(join(root, script));
  const server = await startProcess(command, args, { PORT: "0", ...env }, "is listening");
  try {
    await httpLoad({ url: server.url, path, connections: CONNECTIONS, seconds: 1, next }); // warm-up
    const result = await httpLoad({ url: server.url, path, connections: CONNECTIONS, seconds: SECONDS, next });
    rows.push({ name, ...result });
    process.stdout.write(
      `${name.padEnd(44)} ${result.rps.toFixed(0).padStart(7)} req/s  p99 ${result.p99} ms  failures ${result.failures}\n`,
    );
  } finally {
    await server.stop();
  }
}
let n = 0;
const verifyBody = () => {
  const i = n++;
  if (i >= OTPS) throw new Error("floor: OTPs used up (FLOOR_OTPS)");
  return { body: JSON.stringify({ account: `acct${i % ACCOUNTS}`, otp: `otp${i}` }) };
};
const env = { FLOOR_DB: file, FLOOR_KEY: key.toString("base64url") };
await measure("bare Fastify route", "bench/baseline/bareFastify.mjs", {}, "/bare", () => ({ body: "{}" }));
await measure(
  "floor: one commit per verification",
  "bench/baseline/floorSqlite.mjs",
  { ...env, FLOOR_MODE: "each" },
  "/verify",
  verifyBody,
);
await measure(
  "floor: one commit per event-loop turn",
  "bench/baseline/floorSqlite.mjs",
  { ...env, FLOOR_MODE: "group" },
  "/verify",
  verifyBody,
);
const bare = rows[0].rps;
for (const row of rows.slice(1)) process.stdout.write(`${row.name}: ${(row.rps / bare).toFixed(3)} × bare\n`);
await rm(dir, { recursive: true, force: true });
