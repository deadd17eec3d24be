// node bench/lib/profileSummary.mjs <file.cpuprofile>: where the server's time went, by function and by package.
import { readFileSync } from "node:fs";

const profile = JSON.parse(readFileSync(process.argv[2], "utf8"));
const self = new Map();
const byPackage = new Map();
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++)
  dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
let total = 0;
for (const [id, micros] of dt) {
  const node = nodes.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "nm:")
    .replace(/.*\/packages\//, "pims:");
  const key = `${functionName || "(anonymous)"}  ${where}:${lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + micros);
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
  `total ${(total / 1e6).toFixed(1)} s sampled\n\nby package:\n${top(byPackage, 18).join("\n")}\n\nby function (self time):\n${top(self, 30).join("\n")}`,
);
