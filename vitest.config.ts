import { fileURLToPath } from "node:url";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Suites that run once per storage engine. */
const PER_ENGINE = ["packages/tests/src/roundtrip/**/*.test.ts", "packages/tests/src/security/**/*.test.ts"];

const postgres = Boolean(process.env.PIMS_TEST_DATABASE_URL);
const redis = Boolean(process.env.PIMS_TEST_REDIS_URL);

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
