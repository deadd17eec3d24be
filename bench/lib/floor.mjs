// The floor of a verification on SQLite (baseline/floorSqlite.mjs): a bare Fastify route doing only
// a verification's durable writes on Pims' schema. Measured by run.mjs as two baseline rows of the
// SQLite figures (alone: `BENCH_QUICK=1 BENCH_ONLY=sqlite BENCH_SCENARIOS=verify node bench/run.mjs`).
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openDatabase } from "@pims/server";
import { httpLoad } from "./load.mjs";
import { startProcess, withPeakRss } from "./startProcess.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const ACCOUNTS = 1000;

export const FLOOR_EACH = "baseline: floor, one commit per verification";
export const FLOOR_GROUP = "baseline: floor, one commit per event-loop turn";

/**
 * Measures the floor in both modes; resolves to result rows (as run.mjs records them).
 * `pinned(command, args)` pins the server as the bench pins Pims; `otps` bounds the requests.
 */
export async function measureFloor({ pinned, connections, seconds, warmSeconds, otps = 600_000, log = () => {} }) {
  const dir = await mkdtemp(join(tmpdir(), "pims-floor-"));
  const file = join(dir, "floor.db");
  const key = randomBytes(32);
  try {
    // Pims' own schema, by its migrations; then accounts and unspent OTPs, each its own HMAC.
    const migrated = openDatabase(`sqlite:${file}`);
    await migrate(migrated.db);
    await migrated.close();
    const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");
    const db = new Database(file);
    const now = Date.now();
    db.transaction(() => {
      const account = db.prepare("insert into accounts (id, login, created_at, tenant_id) values (?, ?, ?, 'default')");
      for (let a = 0; a < ACCOUNTS; a++) account.run(`acct${a}`, `user${a}`, now);
      const otp = db.prepare(
        `insert into otps (id, account_id, device_id, otp_mac, factors, issued_at, expires_at, methods, tenant_id)
         values (?, ?, ?, ?, 'device+pin', ?, ?, '["hwk","pin"]', 'default')`,
      );
      for (let i = 0; i < otps; i++) {
        const mac = createHmac("sha256", key).update(`otp${i}`).digest("base64url");
        otp.run(`o${i}`, `acct${i % ACCOUNTS}`, `dev${i % ACCOUNTS}`, mac, now, now + 3_600_000);
      }
    })();
    const consumed = () => db.prepare("select count(*) as n from otps where consumed_at is not null").get().n;
    let n = 0;
    const next = () => {
      const i = n++;
      if (i >= otps) throw new Error("floor: OTPs used up");
      return { body: JSON.stringify({ account: `acct${i % ACCOUNTS}`, otp: `otp${i}` }) };
    };
    const rows = [];
    for (const [scenario, mode] of [
      [FLOOR_EACH, "each"],
      [FLOOR_GROUP, "group"],
    ]) {
      const [command, args] = pinned("node", [join(ROOT, "bench/baseline/floorSqlite.mjs")]);
      const env = { PORT: "0", FLOOR_DB: file, FLOOR_KEY: key.toString("base64url"), FLOOR_MODE: mode };
      const server = await startProcess(command, args, env, "floor is listening");
      try {
        const load = { url: server.url, path: "/verify", connections, next };
        await httpLoad({ ...load, seconds: warmSeconds });
        const before = consumed();
        const { result, peakRssMb, cpuPercent, cpuMicrosPerRequest } = await withPeakRss(server.pid, () =>
          httpLoad({ ...load, seconds }),
        );
        // Counted by the OTPs consumed, as Pims' verification is.
        const valid = consumed() - before;
        rows.push({
          engine: "sqlite",
          scenario,
          ...result,
          rps: valid / seconds,
          peakRssMb,
          cpuPercent,
          cpuMicrosPerRequest,
          notes: `a verification's writes alone (bench/baseline/floorSqlite.mjs); ${valid} valid of ${result.requests}`,
        });
        log(
          `  ${scenario.padEnd(48)} ${(valid / seconds).toFixed(0).padStart(7)} req/s  p99 ${result.p99.toFixed(1)} ms  server CPU ${cpuMicrosPerRequest.toFixed(0)} µs/req`,
        );
      } finally {
        await server.stop();
      }
    }
    db.close();
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
