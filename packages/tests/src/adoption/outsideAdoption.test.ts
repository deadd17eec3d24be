import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";

/**
 * Pims adopted from outside the repository, as an app developer would: the four packages packed as
 * tarballs (`scripts/pack.mjs`, from the built packages), installed into a fresh project in a
 * temporary folder (no workspace link: real folders under node_modules), a strict TypeScript app
 * type-checked against the installed declarations (skipLibCheck off), then run against `pims serve`
 * started from the installed @pims/server: login, enrollment, each protected route (Express and
 * Fastify) 2302 → S15 → retry → 200. A missing file, type or dependency in a package fails it.
 *
 * npm reads the local cache first (`--prefer-offline`) and asks the registry only for what is not
 * there. Install scripts are not run: the one native module (better-sqlite3) gets the binary the
 * repository's own install built, the same version, where its install script would have put it.
 */
const PUBLISHED = ["protocol", "sdk", "relying-party", "server"] as const;
const VERSION = JSON.parse(await readFile(join(REPOSITORY_ROOT, "packages/sdk/package.json"), "utf8"))
  .version as string;

let workspace: string;
let app: string;
let server: ChildProcess | undefined;
let pimsUrl: string;
const timings: Record<string, number> = {};
const steps: { step: string; code: number | null; output: string }[] = [];

/** Runs a command to its end, with npm's own variables of a parent `npm test` removed. */
function run(step: string, command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
  const started = Date.now();
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...clean, ...env }, stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      timings[step] = Date.now() - started;
      steps.push({ step, code, output });
      resolve({ code, output });
    });
  });
}

/** The version the repository's own install has: the temporary project gets the same. */
function version(name: string): string {
  return JSON.parse(readFileSync(join(REPOSITORY_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/** Starts `pims serve` from the installed @pims/server; resolves its URL once it listens. */
function serveInstalled(): Promise<string> {
  const child = spawn("node", ["node_modules/@pims/server/bin/pims.js", "serve"], {
    cwd: app,
    env: { ...process.env, PIMS_DATA_DIR: join(workspace, "data"), PIMS_PORT: "0", PIMS_ADMIN_KEY: ADMIN_KEY },
    stdio: "pipe",
  });
  server = child;
  const started = Date.now();
  return new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*pims is listening/.exec(output);
      if (match?.[1]) {
        timings["pims serve (installed)"] = Date.now() - started;
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`pims serve exited with ${code}:\n${output}`)));
  });
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "pims-adopter-"));
  app = join(workspace, "app");
  const tarballs = join(workspace, "tarballs");

  const packed = await run("pack", "node", ["scripts/pack.mjs", "--out", tarballs], REPOSITORY_ROOT);
  expect(packed.code, packed.output).toBe(0);

  await cp(join(REPOSITORY_ROOT, "packages/tests/fixtures/adoption"), app, { recursive: true });
  const tarball = (dir: string) => `file:../tarballs/pims-${dir}-${VERSION}.tgz`;
  await writeFile(
    join(app, "package.json"),
    JSON.stringify(
      {
        name: "pims-adopter",
        private: true,
        type: "module",
        dependencies: {
          ...Object.fromEntries(PUBLISHED.map((dir) => [`@pims/${dir}`, tarball(dir)])),
          express: version("express"),
          fastify: version("fastify"),
        },
        devDependencies: {
          typescript: version("typescript"),
          "@types/express": version("@types/express"),
          "@types/node": version("@types/node"),
        },
      },
      null,
      2,
    ),
  );
  const installed = await run(
    "npm install",
    "npm",
    ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    app,
  );
  expect(installed.code, installed.output).toBe(0);
  const native = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  await mkdir(join(app, "node_modules/better-sqlite3/build/Release"), { recursive: true });
  await cp(join(REPOSITORY_ROOT, native), join(app, native));

  // The type-check and the installed server's start-up are independent: side by side.
  const [compiled] = await Promise.all([
    run("tsc (strict)", "node", ["node_modules/typescript/bin/tsc", "-p", "."], app),
    serveInstalled().then((url) => {
      pimsUrl = url;
    }),
  ]);
  expect(compiled.code, compiled.output).toBe(0);
}, 300_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    await new Promise((resolve) => {
      server?.once("exit", resolve);
      server?.kill("SIGTERM");
    });
  }
  if (workspace) await rm(workspace, { recursive: true, force: true });
  process.stdout.write(`outside adoption, ms: ${JSON.stringify(timings)}\n`);
});

describe("adopting Pims from its tarballs, outside the repository", () => {
  it("installs real packages (no links), each with README, LICENSE, and every exported file", async () => {
    for (const dir of PUBLISHED) {
      const root = join(app, "node_modules/@pims", dir);
      expect((await lstat(root)).isSymbolicLink()).toBe(false);
      const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
      expect(manifest.version).toBe(VERSION);
      expect(manifest.license).toBe("Apache-2.0");
      for (const file of ["README.md", "LICENSE"]) expect((await stat(join(root, file))).size).toBeGreaterThan(200);
      for (const target of Object.values(manifest.exports as Record<string, string | Record<string, string>>)) {
        for (const path of typeof target === "string" ? [target] : Object.values(target)) {
          expect((await stat(join(root, path))).isFile(), `${manifest.name}: ${path}`).toBe(true);
        }
      }
    }
  });

  it("the strict TypeScript app type-checks against the installed declarations (done in setup)", () => {
    expect(steps.find((s) => s.step === "tsc (strict)")?.code).toBe(0);
  });

  it("login → enroll → each protected route: 2302 → S15 → retry → 200, against the installed server", async () => {
    const { key } = await createRelyingParty(pimsUrl, "adopter");
    const ran = await run("app", "node", ["dist/app.js"], app, { PIMS_URL: pimsUrl, PIMS_RP_KEY: key });
    expect(ran.code, ran.output).toBe(0);
    const results = JSON.parse(ran.output.trim().split("\n").at(-1) as string);
    for (const framework of ["express", "fastify"]) {
      expect(results[framework], framework).toEqual({
        refusedWith2302: true,
        retryStatus: 200,
        retryBody: { by: results.login, factors: ["possession", "knowledge"] },
      });
    }
  });
});
