import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Suites that run once per storage engine. */
const PER_ENGINE = ["packages/tests/src/roundtrip/**/*.test.ts", "packages/tests/src/security/**/*.test.ts"];

const postgres = Boolean(process.env.PIMS_TEST_DATABASE_URL);
const redis = Boolean(process.env.PIMS_TEST_REDIS_URL);

/**
 * The files that took longest in a full run (12:15 UTC 1 Dec 2026, two workers: 25 s down to 9 s of
 * tests each), in that order but for the two browser suites, kept apart so that two Chromiums do
 * not start together. A clean checkout (CI) has no timings from a previous run, so Vitest would
 * order by project name and then file size and could leave one of these for the end, running
 * alone on one worker; started first, the short files fill in around them.
 */
const SLOW_FIRST = [
  "packages/tests/src/browser/demoFailures.browser.test.ts",
  "packages/tests/src/adoption/outsideAdoption.test.ts",
  "packages/tests/src/browser/demo.browser.test.ts",
  "packages/tests/src/scale/faults.test.ts",
  "packages/tests/src/scale/multiProcess.test.ts",
  "packages/tests/src/browser/demoBrands.browser.test.ts",
  "packages/tests/src/scale/dependencies.test.ts",
  "packages/tests/src/security/defaults.security.test.ts",
  "packages/tests/src/server/docSnippets.test.ts",
  "packages/tests/src/server/cli.test.ts",
  // Ordered by the sqlite project's file order, these two (15 s and 9 s under load) ended a full
  // run of 1 Dec 2026, 19:54 UTC, one worker left alone with them.
  "packages/tests/src/server/startCommand.test.ts",
  "packages/tests/src/scale/assertionKeys.test.ts",
];

/** Vitest's order (failed first, then longest first once there are timings), with SLOW_FIRST ahead. */
class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((file) => spec.moduleId.endsWith(file));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((spec, order) => ({ spec, order, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .map(({ spec }) => spec);
  }
}

const project = (
  name: string,
  include: string[],
  env: Record<string, string> = {},
  globalSetup: string[] = [],
): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name, include, env, globalSetup },
});

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources; processes spawned by tests run the built packages.
    alias: [
      {
        find: /^@pims\/relying-party\/(fastify|express)$/,
        replacement: fileURLToPath(new URL("./packages/relying-party/src/$1.ts", import.meta.url)),
      },
      {
        find: /^@pims\/protocol\/docs$/,
        replacement: fileURLToPath(new URL("./packages/protocol/src/operations/docs.ts", import.meta.url)),
      },
      { find: /^@pims\/protocol$/, replacement: src("protocol") },
      { find: /^@pims\/sdk$/, replacement: src("sdk") },
      { find: /^@pims\/server$/, replacement: src("server") },
      { find: /^@pims\/relying-party$/, replacement: src("relying-party") },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One worker process runs file after file of its project, keeping the modules it loaded: with
    // isolation (a new process per file, the server's sources evaluated anew) 40 files of one engine
    // took 90 s, 31 s of it importing; without, 58 s. Every file still starts its own servers, its
    // own database file or schema: only the loaded code is shared, as in a server process.
    isolate: false,
    // Vitest's default is one worker less than the cores: a single worker on CI's two. These suites
    // mostly wait (on spawned processes, PostgreSQL, Redis, sockets), so two workers fill two cores.
    // To change it for one run: VITEST_MAX_WORKERS=1 (the --maxWorkers flag does not reach the projects).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Workers side by side would see each other's schemas come and go: one database per worker.
    setupFiles: ["./packages/tests/src/support/workerDatabase.ts"],
    sequence: { sequencer: SlowFirst },
    reporters: ["default"],
    projects: [
      // The unit project always runs: its global setup says which service-backed suites did not.
      project("unit", ["packages/{protocol,sdk,server,relying-party}/src/**/*.test.ts"], {}, [
        "./packages/tests/src/support/globalSetup.ts",
      ]),
      project(
        "sqlite",
        [
          ...PER_ENGINE,
          "packages/tests/src/server/**/*.test.ts",
          "packages/tests/src/sdk/**/*.test.ts",
          "packages/tests/src/scale/**/*.test.ts",
          "packages/tests/src/browser/**/*.test.ts",
          "packages/tests/src/adoption/**/*.test.ts",
        ],
        { PIMS_TEST_ENGINE: "sqlite" },
      ),
      ...(postgres ? [project("postgres", PER_ENGINE, { PIMS_TEST_ENGINE: "postgres" })] : []),
      ...(postgres && redis
        ? [project("postgres+redis", PER_ENGINE, { PIMS_TEST_ENGINE: "postgres", PIMS_TEST_ENGINE_REDIS: "1" })]
        : []),
    ],
  },
});
