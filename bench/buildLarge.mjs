// Builds (or finds cached) the large database of the flat-cost scenario, without running the
// bench: `node bench/buildLarge.mjs sqlite|postgres`. Counts: BENCH_LARGE_ACCOUNTS, BENCH_LARGE_AUDIT.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { largeDatabase } from "./lib/largeDatabase.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const runDir = await mkdtemp(join(tmpdir(), "pims-large-"));
const started = performance.now();
const large = await largeDatabase({
  engine: process.argv[2] ?? "sqlite",
  postgresUrl: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  cacheDir: process.env.BENCH_CACHE_DIR ?? join(ROOT, "bench/.cache"),
  runDir,
  accounts: Number(process.env.BENCH_LARGE_ACCOUNTS ?? 1_000_000),
  auditRows: Number(process.env.BENCH_LARGE_AUDIT ?? 5_000_000),
  log: (text) => process.stdout.write(`${text}\n`),
});
await large.release();
await rm(runDir, { recursive: true, force: true });
console.log(`ready in ${((performance.now() - started) / 1000).toFixed(0)} s: ${large.schema ?? large.databaseUrl}`);
