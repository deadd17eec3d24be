import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`../../../${pkg}/src/index.ts`, import.meta.url));

/** SPIKE (decision 0028): the spike's tests, apart from the suite. `npx vitest run -c packages/tests/src/spike/vitest.config.ts` */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@pims\/protocol$/, replacement: src("protocol") },
      { find: /^@pims\/server$/, replacement: src("server") },
    ],
  },
  test: {
    include: ["packages/tests/src/spike/**/*.test.ts"],
    root: fileURLToPath(new URL("../../../..", import.meta.url)),
  },
});
