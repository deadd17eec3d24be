import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { updatePin } from "@pims/protocol";
import { Keyring } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accountIdOf } from "../support/steps.js";
import { storedSession } from "../support/stores.js";

/**
 * The PIN under attack (design properties 1, 2, 7). Each test opens with what the attacker has
 * and tries.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("an enrolled device without the PIN", () => {
  it("sends 50 wrong PINs at once: at most 5 are compared, the rest meet the block (2310)", async () => {
    const { pims } = await loggedInPims(server.url);
    await enrollWithShortcut(server.url, pims, "58026413");
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pims.set(updatePin.api, { action: "update", oldPIN: String(10_000_000 + i), newPIN: "97531" }),
      ),
    );
    const codes = answers.map((a) => (a.status === "FAILED" ? a.error.code : 0));
    expect(codes.filter((c) => c === 2308)).toHaveLength(5);
    expect(codes.filter((c) => c === 2310)).toHaveLength(45);
    const checks = await server.server.services.db
      .selectFrom("audit_events")
      .select(["event", "outcome"])
      .where("account_id", "=", await accountIdOf(server.server, pims))
      .where("event", "in", ["pin.check", "account.block"])
      .execute();
    expect(checks.filter((e) => e.event === "pin.check" && e.outcome === "failure")).toHaveLength(5);
    expect(checks.filter((e) => e.event === "account.block")).toHaveLength(1);
    // Even the right PIN is refused now.
    const right = await pims.set(updatePin.api, { action: "update", oldPIN: "58026413", newPIN: "97531" });
    expect(right.status === "FAILED" && right.error.code).toBe(2310);
  });
});

describe("a copy of the database, without PIMS_SECRET_KEY", () => {
  it("cannot confirm a PIN guess: no function of the row alone matches the true PIN", async () => {
    const { pims } = await loggedInPims(server.url);
    const pin = "60419375";
    await enrollWithShortcut(server.url, pims, pin);
    const accountId = await accountIdOf(server.server, pims);
    // What a thief of the database holds: every row (a file copy on SQLite, a dump on PostgreSQL).
    const row = await server.server.services.db
      .selectFrom("pin_verifiers")
      .selectAll()
      .where("account_id", "=", accountId)
      .executeTakeFirstOrThrow();

    // The offline attack: hash each guess with the salt the row gives, look for it in the row.
    const rowText = JSON.stringify(row);
    for (const guess of [pin, "00000000", "12345678"]) {
      for (const digest of [
        createHash("sha256").update(`pims-pin-v1|${row.salt}|${guess}`).digest(),
        createHash("sha256").update(`${row.salt}${guess}`).digest(),
        createHash("sha256").update(guess).digest(),
      ]) {
        expect(rowText).not.toContain(digest.toString("base64url"));
        expect(rowText).not.toContain(digest.toString("hex"));
        expect(rowText).not.toContain(digest.toString("base64"));
      }
    }
    // Another key opens nothing, whatever the guess.
    const guessedKey = Keyring.fromSecrets(Buffer.alloc(32, 7).toString("base64url"));
    expect(guessedKey.open("pin-verifier", row.sealed, accountId, row.key_id)).toBeUndefined();
    // Control: with the secret key, the same row does confirm the true PIN.
    const realKey = Keyring.fromSecrets(server.secretKey);
    const inner = realKey.open("pin-verifier", row.sealed, accountId, row.key_id);
    expect(inner?.equals(createHash("sha256").update(`pims-pin-v1|${row.salt}|${pin}`).digest())).toBe(true);
    // And the verifier is bound to its account: moved to another account's row it opens nothing.
    expect(realKey.open("pin-verifier", row.sealed, "acc_other", row.key_id)).toBeUndefined();
  });
});

describe("the PIN is never written anywhere", () => {
  it("not in a log line, not in any table (nor, on SQLite, the file or its WAL), not in an audit event", async () => {
    const { pims } = await loggedInPims(server.url);
    const pin = "83027164";
    const next = "59173028";
    await enrollWithShortcut(server.url, pims, pin);
    expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: next }));
    await pims.set(updatePin.api, { action: "update", oldPIN: "40404040", newPIN: next });
    const logs = server.logs.join("\n");
    expect(logs).toContain("pincode.update");
    // Every row of every table, on either engine; and, on SQLite, the raw bytes of the file and its WAL.
    const { db } = server.server.services;
    // Only this server's tables: on PostgreSQL, introspection also lists other test runs' schemas.
    const schema = server.server.services.config.databaseSchema;
    const tables = (await db.introspection.getTables()).filter((t) => schema === undefined || t.schema === schema);
    const rows = await Promise.all(
      tables.map((t) =>
        db
          .selectFrom(t.name as never)
          .selectAll()
          .execute(),
      ),
    );
    const files = [Buffer.from(JSON.stringify(rows))];
    if (TEST_ENGINE === "sqlite") {
      for (const f of ["pims.db", "pims.db-wal"])
        files.push(await readFile(join(server.dataDir, f)).catch(() => Buffer.alloc(0)));
    }
    expect(tables.map((t) => t.name)).toContain("pin_verifiers");
    for (const secret of [pin, next, "40404040"]) {
      expect(logs).not.toContain(secret);
      for (const file of files) expect(file.includes(Buffer.from(secret))).toBe(false);
    }
    const audit = await server.server.services.db.selectFrom("audit_events").selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain(pin);
  });

  it("nor on the device: the store holds a session and a key, no PIN", async () => {
    const { memoryStore } = await import("@pims/sdk");
    const store = memoryStore();
    const { pims } = await loggedInPims(server.url, store);
    await enrollWithShortcut(server.url, pims, "71830294");
    const session = await storedSession(store);
    const device = await store.get(`pims.device.${session.accountId}`);
    expect(JSON.stringify([session, device])).not.toContain("71830294");
  });
});
