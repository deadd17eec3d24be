import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { totp } from "../peer/totp.mjs";
import { httpLoad } from "./load.mjs";
import { startProcess, withPeakRss } from "./startProcess.mjs";

const SERVER = fileURLToPath(new URL("../peer/server.mjs", import.meta.url));
const FIXTURES = Number(process.env.BENCH_PEER_FIXTURES ?? 1500);

/**
 * The peer: Better Auth 1.7 with its two-factor plugin on SQLite (bench/peer/README.md), measured
 * by the same load generator: its no-op route, then its real TOTP verification route with valid
 * codes on prepared single-use sign-in challenges — once with SQLite's defaults, once with the WAL
 * settings Pims uses.
 */
export async function runPeer({ connections, seconds, log, pinned = (command, args) => [command, args] }) {
  const results = [];
  let baseline;
  for (const pragmas of ["pims", "default"]) {
    const dir = await mkdtemp(join(tmpdir(), "pims-peer-"));
    const [command, args] = pinned("node", [SERVER]);
    const peer = await startProcess(
      command,
      args,
      { PORT: "0", PEER_DB: join(dir, "peer.sqlite"), PEER_PRAGMAS: pragmas, PEER_CHALLENGE_TTL_S: "3600" },
      "peer is listening",
    );
    try {
      const label = pragmas === "pims" ? "WAL, synchronous=NORMAL (as Pims)" : "SQLite defaults";
      log(`\n[peer: Better Auth, ${label}] preparing ${FIXTURES} sign-in challenges…`);
      const fixtures = await (await fetch(`${peer.url}/bench/fixtures?n=${FIXTURES}`)).json();
      if (baseline === undefined) {
        const measured = await withPeakRss(peer.pid, () =>
          httpLoad({ url: peer.url, path: "/noop", connections, seconds, next: () => ({ body: "{}" }) }),
        );
        const { result } = measured;
        baseline = result.rps;
        results.push({
          scenario: "baseline (no-op route, node:http)",
          ...result,
          peakRssMb: measured.peakRssMb,
          cpuPercent: measured.cpuPercent,
        });
        log(`  baseline (no-op route)        ${result.rps.toFixed(0).padStart(7)} req/s`);
      }
      let i = 0;
      const started = performance.now();
      const { result, peakRssMb, cpuPercent } = await withPeakRss(peer.pid, () =>
        httpLoad({
          url: peer.url,
          path: "/api/auth/two-factor/verify-totp",
          connections,
          seconds,
          amount: fixtures.cookies.length,
          headers: { origin: fixtures.verify.headers.origin },
          next: () => {
            const cookie = fixtures.cookies[i++ % fixtures.cookies.length];
            return { body: JSON.stringify({ code: totp(fixtures.secret, Date.now()) }), headers: { cookie } };
          },
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      const valid = result.requests - result.failures;
      const row = {
        scenario: `TOTP verification (${label})`,
        ...result,
        rps: valid / elapsed,
        peakRssMb,
        cpuPercent,
        notes: `${valid} valid of ${result.requests}; each completes a sign-in challenge`,
      };
      results.push(row);
      log(
        `  TOTP verification             ${row.rps.toFixed(0).padStart(7)} req/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms`,
      );
    } finally {
      await peer.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    baseline,
    results,
    findings: [
      "Better Auth accepts the same TOTP code again on a new sign-in challenge (bench/peer/check-reuse.mjs: one code completed three challenges, 200/200/200); Pims OTPs are single-use, consumed atomically.",
      "Better Auth's verify also completes a sign-in (consumes the challenge, creates a session); Pims' verification consumes an OTP and writes an audit row.",
    ],
  };
}
