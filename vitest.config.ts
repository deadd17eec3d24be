import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources; processes spawned by tests run the built packages.
    alias: {
      "@pims/protocol": src("protocol"),
      "@pims/sdk": src("sdk"),
      "@pims/server": src("server"),
      "@pims/relying-party": src("relying-party"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
