// How near can a verification on SQLite come to a bare Fastify route, with its durable writes?
// The bare route and the floor (lib/floor.mjs) in one run, pinned as `npm run bench` pins them;
// `npm run bench` measures the same two floor rows beside Pims' own figures.
//
//   node bench/floor.mjs            (FLOOR_SECONDS=10, 32 connections)
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { FLOOR_EACH, FLOOR_GROUP, measureFloor } from "./lib/floor.mjs";
import { httpLoad } from "./lib/load.mjs";
import { startProcess } from "./lib/startProcess.mjs";

const seconds = Number(process.env.FLOOR_SECONDS ?? 10);
const connections = 32;
const pin = availableParallelism() >= 2;
if (pin) execFileSync("taskset", ["-a", "-cp", "1", String(process.pid)], { stdio: "ignore" });
const pinned = (command, args) => (pin ? ["taskset", ["-c", "0", command, ...args]] : [command, args]);
const log = (text) => process.stdout.write(`${text}\n`);

const [command, args] = pinned("node", [new URL("baseline/bareFastify.mjs", import.meta.url).pathname]);
const bare = await startProcess(command, args, { PORT: "0" }, "bare is listening");
const load = { url: bare.url, path: "/bare", connections, next: () => ({ body: "{}" }) };
await httpLoad({ ...load, seconds: 1 });
const { rps } = await httpLoad({ ...load, seconds });
await bare.stop();
log(`  ${"bare Fastify route".padEnd(48)} ${rps.toFixed(0).padStart(7)} req/s`);
const rows = await measureFloor({ pinned, connections, seconds, warmSeconds: 1, log });
for (const name of [FLOOR_EACH, FLOOR_GROUP])
  log(`${name}: ${(rows.find((r) => r.scenario === name).rps / rps).toFixed(3)} × bare`);
