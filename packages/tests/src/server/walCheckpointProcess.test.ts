import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runInRepository } from "../support/spawnPims.js";

const dir = mkdtempSync(join(tmpdir(), "pims-wal-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A process using the built package (what npm ships): its WAL checkpoint worker loads from dist,
 * copies the WAL into the database file, and never keeps the process alive.
 */
const script = (path: string, close: boolean) => `
import { existsSync, statSync } from "node:fs";
import { sql } from "kysely";
import { openDatabase } from "@pims/server";
const database = openDatabase("sqlite:${path}", { onCheckpointError: (error) => console.log("error", error.message) });
await sql\`create table t (x blob)\`.execute(database.db);
for (let i = 0; i < 300; i++) await sql\`insert into t values (randomblob(4000))\`.execute(database.db);
const end = Date.now() + 10000;
while (statSync("${path}").size < 300 * 4000 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
console.log("checkpointed", statSync("${path}").size >= 300 * 4000);
${close ? `await database.close(); console.log("closed, wal left", existsSync("${path}-wal"));` : ""}
`;

describe("the WAL checkpoint worker in a process of its own (built package)", () => {
  it("checkpoints, and close() resolves with the WAL removed", async () => {
    const run = await runInRepository(process.execPath, ["--input-type=module", "-e", script(join(dir, "a.db"), true)]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("checkpointed true\nclosed, wal left false\n");
    expect(run.code).toBe(0);
  });

  it("a process that never calls close() still exits", async () => {
    const run = await runInRepository(process.execPath, [
      "--input-type=module",
      "-e",
      script(join(dir, "b.db"), false),
    ]);
    expect(run.stdout).toBe("checkpointed true\n");
    expect(run.code).toBe(0);
  });
});
