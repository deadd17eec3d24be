#!/usr/bin/env -S node --max-semi-space-size=4
// The `pims` command. The TypeScript sources are built by `npm ci` (the root `prepare` script).
//
// The flags on the first line are the server's memory settings, read by V8 when the process starts
// (it cannot change them later): each semi-space of the young generation at most 4 MB instead of
// V8's 16, i.e. 8 MB of new space instead of 32, at a few more scavenges of short-lived request
// garbage (bench/README.md, peak RSS). Whatever starts the server with `node` directly passes the
// same flags: the Dockerfile's ENTRYPOINT, `npm start`, the bench (a test checks they agree).
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
