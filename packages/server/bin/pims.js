#!/usr/bin/env node
// The `pims` command. The TypeScript sources are built by `npm ci` (the root `prepare` script).
import { main } from "../dist/cli/main.js";

main(process.argv).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`pims: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
