// `npm run pack [-- --out DIR]`: checks that the four publishable packages move together (one
// version, internal dependencies pinned to it), then writes their tarballs (default ./dist-packages).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const PUBLISHED = ["protocol", "sdk", "relying-party", "server"];

/** The problems that would make the published set inconsistent; empty when it is fine. */
export function versionProblems() {
  const manifests = PUBLISHED.map((dir) =>
    JSON.parse(readFileSync(resolve(root, "packages", dir, "package.json"), "utf8")),
  );
  const version = manifests[0].version;
  const names = new Set(manifests.map((m) => m.name));
  const problems = [];
  for (const m of manifests) {
    if (m.version !== version) problems.push(`${m.name} is ${m.version}, @pims/protocol is ${version}`);
    if (m.private) problems.push(`${m.name} is private`);
    for (const [dep, range] of Object.entries({ ...m.dependencies, ...m.peerDependencies })) {
      if (names.has(dep) && range !== version) problems.push(`${m.name} depends on ${dep}@${range}, not ${version}`);
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf("--out");
  const out = resolve(outIndex > 0 ? process.argv[outIndex + 1] : resolve(root, "dist-packages"));
  const problems = versionProblems();
  if (problems.length > 0) {
    process.stderr.write(`pack: the packages do not move together:\n  ${problems.join("\n  ")}\n`);
    process.exit(1);
  }
  mkdirSync(out, { recursive: true });
  const args = ["pack", "--json", "--pack-destination", out, ...PUBLISHED.map((dir) => `--workspace=packages/${dir}`)];
  const packed = JSON.parse(
    execFileSync("npm", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }),
  );
  for (const p of packed)
    process.stdout.write(`${resolve(out, p.filename)}  (${p.entryCount} files, ${p.size} bytes)\n`);
}
