import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPimsServer, loadConfig } from "@pims/server";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedInPims } from "../support/facade.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/** The password hashes an account's row holds, from the database file itself. */
function storedHash(file: string, login: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select password_hash from accounts where login = ?").get(login) as { password_hash: string })
      .password_hash;
  } finally {
    db.close();
  }
}

// The test servers hash at a low cost (support/startTestServer.ts): the attack is a deployment
// that stores passwords at that cost, where a stolen database would be cracked ~40× faster. A server
// built as `pims serve` builds it — no programmatic option — must hash at OWASP's argon2id baseline.
describe("password hashes' cost", () => {
  let dataDir: string;
  let test: TestServer | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pims-hash-cost-"));
  });
  afterAll(async () => {
    await test?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a server as deployed stores argon2id at 19 MiB, 2 passes, 1 lane", async () => {
    const config = loadConfig(
      { PIMS_DATA_DIR: dataDir, PIMS_SECRET_KEY: randomBytes(32).toString("base64url"), PIMS_LOG_LEVEL: "silent" },
      { port: 0, host: "127.0.0.1" },
    );
    const server = await createPimsServer({ config, smsConsole: { write: () => true } });
    try {
      const { login } = await loggedInPims(await server.listen());
      expect(storedHash(join(dataDir, "pims.db"), login)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    } finally {
      await server.close();
    }
  });

  it("the test servers' lower cost is theirs only: their hashes name it, so none can pass for a deployment's", async () => {
    test = await startTestServer();
    const { login } = await loggedInPims(test.url);
    const { databaseUrl } = test.server.services.config;
    expect(databaseUrl).toMatch(/^sqlite:/);
    expect(storedHash(databaseUrl.slice("sqlite:".length), login)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });
});
