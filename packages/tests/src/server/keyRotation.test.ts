import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import { createPimsServer, Keyring, loadConfig, type PimsServer } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess } from "../support/facade.js";
import { ADMIN_KEY } from "../support/relyingParty.js";
import { runInRepository } from "../support/spawnPims.js";

/** Rotating PIMS_SECRET_KEY as docs/deployment.md says, PINs kept, none of them known to the server. */
const keyA = randomBytes(32).toString("base64url");
const keyB = randomBytes(32).toString("base64url");
const pin = "58203617";
let dataDir: string;
const store = memoryStore();

async function serve(env: Record<string, string>): Promise<{ server: PimsServer; url: string; pims: Pims }> {
  const config = loadConfig(
    { PIMS_DATA_DIR: dataDir, PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_LOG_LEVEL: "silent", PIMS_SMS_COOLDOWN: "0", ...env },
    { port: 0, host: "127.0.0.1" },
  );
  const server = await createPimsServer({ config, smsConsole: { write: () => true } });
  const url = await server.listen();
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: url, store }));
  return { server, url, pims };
}

const askOtpWithPin = (pims: Pims) => pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pims-rotation-"));
  const { server, url, pims } = await serve({ PIMS_SECRET_KEY: keyA });
  expectSuccess(
    await pims.set(createAccount.api, {
      action: "createAccount",
      login: "rotator",
      password: "rotation-password",
    }),
  );
  await enrollWithShortcut(url, pims, pin);
  await server.close();
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe("secret key rotation", () => {
  it("a process started with another key (the former one not kept) refuses to start, naming the problem", async () => {
    const keyIdOf = (key: string) => Keyring.fromSecrets(key).currentId;
    await expect(serve({ PIMS_SECRET_KEY: keyB })).rejects.toThrow(
      new RegExp(
        `^PIMS_SECRET_KEY does not fit this database: it holds PIN verifiers this process cannot check \\(1 under key ${keyIdOf(keyA)}\\); this process has key ${keyIdOf(keyB)}\\.`,
      ),
    );
    const cli = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--port", "0"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_SECRET_KEY: keyB,
    });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain("pims: configuration error: PIMS_SECRET_KEY does not fit this database");
    expect(cli.stderr).toContain("PIMS_SECRET_KEY_PREVIOUS");
    expect(cli.stderr).not.toContain(keyB);
  });

  it("new key with the former one kept: PINs verify; rotate-secret re-seals; then the new key alone suffices", async () => {
    const rolling = await serve({ PIMS_SECRET_KEY: keyB, PIMS_SECRET_KEY_PREVIOUS: keyA });
    try {
      expectSuccess(await askOtpWithPin(rolling.pims));
      const rotated = await runInRepository("node", [
        "packages/server/bin/pims.js",
        "admin",
        "--url",
        rolling.url,
        "--key",
        ADMIN_KEY,
        "rotate-secret",
      ]);
      expect(rotated.code).toBe(0);
      expect(rotated.stdout).toContain("1 verifiers re-sealed, 0 still under former keys");
    } finally {
      await rolling.server.close();
    }
    const after = await serve({ PIMS_SECRET_KEY: keyB });
    try {
      expectSuccess(await askOtpWithPin(after.pims));
    } finally {
      await after.server.close();
    }
  });
});
