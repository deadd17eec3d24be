import { FLOOR_EACH, FLOOR_GROUP } from "./floor.mjs";

/** The targets of issue 14, checked against the figures of the run. */
const VERIFY = "OTP verification (RP API)";
const S15 = "S15 OTP withPIN via SDK";
const LARGE = "OTP verification, large database";
const BARE = "bare Fastify route";
const NOOP = "Pims no-op route";

const fixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const isBaseline = (scenario) => scenario === BARE || scenario === NOOP || scenario.startsWith("baseline");

/** The table printed, and the same figures as Markdown and JSON. */
export function report({ results, peer, bundle, seconds, connections, quick, pinned, large }) {
  const find = (engine, scenario) => results.find((r) => r.engine === engine && r.scenario === scenario);
  const rows = results.map((r) => ({
    ...r,
    ratio: r.rps / find(r.engine, BARE)?.rps,
    ratioNoop: r.rps / find(r.engine, NOOP)?.rps,
  }));
  if (peer) {
    for (const p of peer.results)
      rows.push({ ...p, engine: "peer", ratio: Number.NaN, ratioNoop: p.rps / peer.baseline });
  }
  const row = (engine, scenario) => rows.find((r) => r.engine === engine && r.scenario === scenario);
  const missing = (what, target) => ({ what, target, ok: false, got: "not measured in this run" });

  const checks = [];
  const vsBare = (scenario, label, ratio, p99) => {
    const r = row("sqlite", scenario);
    const target = `≥ ${ratio} ×${p99 ? `, p99 ≤ ${p99} ms` : ""}`;
    const what = `${label}, SQLite, vs a bare Fastify route`;
    if (!r || !Number.isFinite(r.ratio)) return checks.push(missing(what, target));
    checks.push({
      what,
      target,
      ok: r.ratio >= ratio && (p99 === undefined || r.p99 <= p99),
      got: `${fixed(r.ratio, 3)} × (${fixed(r.ratioNoop, 2)} × Pims' no-op), p99 ${fixed(r.p99)} ms`,
    });
  };
  vsBare(VERIFY, "RP verification", 0.25, 10);
  vsBare(S15, "S15 via the SDK", 0.12);
  const scenarios = [...new Set(results.map((r) => r.scenario))].filter((s) => !isBaseline(s));
  for (const scenario of scenarios.length ? scenarios : [VERIFY, S15]) {
    const what = `${scenario} on PostgreSQL vs SQLite`;
    const a = row("postgres", scenario);
    const b = row("sqlite", scenario);
    if (!a || !b) checks.push(missing(what, "≥ 0.6 ×"));
    else {
      const ratio = a.rps / b.rps;
      checks.push({
        what,
        target: "≥ 0.6 ×",
        ok: ratio >= 0.6,
        got: `${fixed(ratio, 2)} × (${fixed(a.rps, 0)} vs ${fixed(b.rps, 0)} /s; p99 ${fixed(a.p99)} vs ${fixed(b.p99)} ms)`,
      });
    }
  }
  for (const engine of ["sqlite", "postgres"]) {
    const what = `verification with ${large.accounts.toLocaleString("en")} accounts and ${large.audit.toLocaleString("en")} audit rows vs the small database (${engine})`;
    const a = row(engine, LARGE);
    const b = row(engine, VERIFY);
    if (!a || !b) checks.push(missing(what, "≥ 0.8 ×"));
    else {
      const ratio = a.rps / b.rps;
      checks.push({
        what,
        target: "≥ 0.8 ×",
        ok: ratio >= 0.8,
        got: `${fixed(ratio, 2)} × (${fixed(a.rps, 0)} vs ${fixed(b.rps, 0)} /s; p99 ${fixed(a.p99)} vs ${fixed(b.p99)} ms)`,
      });
    }
  }
  // Issue 16: the figures with tenants on, next to the default tenant's of the same run and server.
  for (const engine of ["sqlite", "postgres"]) {
    for (const scenario of [VERIFY, S15]) {
      const what = `${scenario} in a tenant (client id, its relying party) vs the default tenant (${engine})`;
      const a = row(engine, `${scenario}, tenant`);
      const b = row(engine, scenario);
      if (!a || !b) checks.push(missing(what, "≥ 0.95 ×"));
      else {
        const ratio = a.rps / b.rps;
        checks.push({
          what,
          target: "≥ 0.95 ×",
          ok: ratio >= 0.95,
          got: `${fixed(ratio, 2)} × (${fixed(a.rps, 0)} vs ${fixed(b.rps, 0)} /s; p99 ${fixed(a.p99)} vs ${fixed(b.p99)} ms)`,
        });
      }
    }
  }
  // Pims' own processes: not the bare route's, nor the floor's.
  const servers = rows.filter((r) => r.engine !== "peer" && r.scenario !== BARE && !r.scenario.startsWith("baseline"));
  const peakRss = Math.max(...servers.map((r) => r.peakRssMb));
  const peakOf = servers.find((r) => r.peakRssMb === peakRss);
  checks.push({
    what: "peak server RSS under the whole bench",
    target: "≤ 150 MB",
    ok: peakRss <= 150,
    got: servers.length ? `${fixed(peakRss, 0)} MB (during ${peakOf.engine} ${peakOf.scenario})` : "not measured",
  });
  checks.push({
    what: "SDK bundle, min+gzip",
    target: "≤ 12 kB",
    ok: bundle.gzip <= 12 * 1024,
    got: `${fixed(bundle.gzip / 1024)} kB`,
  });

  const others = [];
  for (const r of rows.filter((x) => x.scenario === "login (argon2id)")) {
    others.push({ what: `login (${r.engine}): p99 ≤ 1 s`, ok: r.p99 <= 1000, got: `p99 ${fixed(r.p99)} ms` });
  }
  const pimsVerify = row("sqlite", VERIFY);
  const peerVerify = rows.find((r) => r.engine === "peer" && r.scenario.includes("TOTP"));
  if (pimsVerify && peerVerify) {
    others.push({
      what: "Pims OTP verification / Better Auth TOTP verification",
      ok: pimsVerify.rps > peerVerify.rps,
      got: `${fixed(pimsVerify.rps / peerVerify.rps, 0)} ×`,
    });
  }

  // Figures for reading the targets, not targets themselves.
  const readings = [];
  const floorEach = row("sqlite", FLOOR_EACH);
  const floorGroup = row("sqlite", FLOOR_GROUP);
  if (floorEach && floorGroup) {
    readings.push(
      `The floor on SQLite (a verification's writes alone, bench/baseline/floorSqlite.mjs): ${fixed(floorEach.ratio, 3)} × the bare route with one commit per verification (${fixed(floorEach.cpuMicrosPerRequest, 0)} µs of server CPU each), ${fixed(floorGroup.ratio, 3)} × with one commit per event-loop turn (${fixed(floorGroup.cpuMicrosPerRequest, 0)} µs)${pimsVerify ? `; Pims' verification is ${fixed(pimsVerify.rps / floorGroup.rps, 2)} × the latter (${fixed(pimsVerify.cpuMicrosPerRequest, 0)} µs)` : ""}.`,
    );
  }

  const header = [
    "engine",
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "peak RSS MB",
    "server CPU %",
    "CPU µs/req",
    "× bare Fastify",
    "× Pims no-op",
    "notes",
  ];
  const lines = rows.map((r) => [
    r.engine,
    r.scenario,
    fixed(r.rps, 0),
    fixed(r.p50),
    fixed(r.p99),
    fixed(r.peakRssMb, 0),
    fixed(r.cpuPercent, 0),
    fixed(r.cpuMicrosPerRequest, 0),
    fixed(r.ratio, 3),
    fixed(r.ratioNoop, 3),
    [r.notes, r.note].filter(Boolean).join("; "),
  ]);
  const mark = (c) => (c.ok ? "✓ met" : "✗ not met");
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const pad = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ");
  const setup = `${quick ? "QUICK MODE (development figures, not the committed ones): " : ""}${connections} connections, ${seconds} s per scenario; ${pinned ? "each server pinned to core 0, the load generator to core 1" : "no core pinning"}`;
  const table = [
    setup,
    pad(header),
    pad(widths.map((w) => "-".repeat(w))),
    ...lines.map(pad),
    "",
    `SDK bundle: ${fixed(bundle.minified / 1024)} kB minified, ${fixed(bundle.gzip / 1024)} kB gzip`,
    "",
    ...checks.map((c) => `${c.ok ? "✓" : "✗"} ${c.what} (target ${c.target}): ${c.got}`),
    ...others.map((c) => `${c.ok ? "✓" : "✗"} ${c.what}: ${c.got}`),
    ...readings.map((r) => `• ${r}`),
    ...(peer?.findings ?? []).map((f) => `• ${f}`),
  ].join("\n");
  const markdown = [
    "# Benchmark results",
    "",
    `Generated by \`npm run bench\` on ${new Date().toISOString()}: ${setup}.`,
    "Ratios: × bare Fastify = req/s over a bare Fastify route in its own process, same pinning, same run;",
    "× Pims no-op = over the no-op route of the same Pims server (the peer: its own no-op route).",
    "",
    "## Targets (issue 14)",
    "",
    "| target | goal | this run | |",
    "|---|---|---|---|",
    ...checks.map((c) => `| ${c.what} | ${c.target} | ${c.got} | ${mark(c)} |`),
    "",
    ...others.map((c) => `- ${c.ok ? "✓" : "✗"} ${c.what}: ${c.got}`),
    ...readings.map((r) => `- ${r}`),
    "",
    "## Figures",
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...lines.map((l) => `| ${l.join(" | ")} |`),
    "",
    `SDK bundle (browser, esbuild, minified): ${fixed(bundle.minified / 1024)} kB; gzip: ${fixed(bundle.gzip / 1024)} kB.`,
    ...(peer?.findings?.length ? ["", "## Peer notes", "", ...peer.findings.map((f) => `- ${f}`)] : []),
    "",
  ].join("\n");
  return {
    table,
    markdown,
    json: {
      seconds,
      connections,
      quick,
      pinned,
      results: rows,
      bundle,
      checks,
      others,
      peerFindings: peer?.findings ?? [],
    },
  };
}
