// node bench/lib/profileSummary.mjs <file.cpuprofile> [from-s] [to-s]: where the server's time went, by
// function (self and inclusive) and by package. from/to: only the samples in that window, seconds from
// the profile's start (negative: from its end), e.g. `-4 -1` for the last scenario of a quick run.
import { readFileSync } from "node:fs";

const profile = JSON.parse(readFileSync(process.argv[2], "utf8"));
const self = new Map();
const inclusive = new Map();
const byPackage = new Map();
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const span = (profile.endTime - profile.startTime) / 1e6;
const edge = (arg, fallback) => (arg === undefined ? fallback : Number(arg) < 0 ? span + Number(arg) : Number(arg));
const from = edge(process.argv[3], 0);
const to = edge(process.argv[4], span);
const dt = new Map();
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  clock += profile.timeDeltas[i] ?? 0;
  if (clock / 1e6 < from || clock / 1e6 > to) continue;
  dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "nm:")
    .replace(/.*\/packages\//, "pims:");
  return `${functionName || "(anonymous)"}  ${where}:${lineNumber}`;
};
let total = 0;
for (const [id, micros] of dt) {
  const node = nodes.get(id);
  const { functionName, url } = node.callFrame;
  const key = label(node);
  self.set(key, (self.get(key) ?? 0) + micros);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = label(nodes.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  }
  const pkg =
    url === ""
      ? functionName
      : (/node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ??
        (/packages\/([^/]+)/.exec(url)?.[1]
          ? `pims/${/packages\/([^/]+)/.exec(url)[1]}`
          : url.startsWith("node:")
            ? "node:" + url.slice(5).split("/")[0]
            : "other"));
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  total += micros;
}
const top = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
console.log(
  `total ${(total / 1e6).toFixed(1)} s sampled (${from.toFixed(1)}–${to.toFixed(1)} s of ${span.toFixed(1)})\n\nby package:\n${top(byPackage, 18).join("\n")}\n\nby function (self time):\n${top(self, 30).join("\n")}\n\nPims' functions, inclusive of what they call:\n${top(new Map([...inclusive].filter(([k]) => k.includes("pims:"))), 30).join("\n")}`,
);
