import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runInRepository, spawnInRepository } from "../support/spawnPims.js";

/** The README's start command, as a newcomer runs it (on the built packages). */
let dataDir: string;
/** The settings a production start needs, with a webhook SMS provider that sends nowhere. */
const productionSettings = () => ({
  PIMS_DATA_DIR: dataDir,
  PIMS_PORT: "0",
  PIMS_MODE: "production",
  PIMS_SECRET_KEY: "ab".repeat(32),
  PIMS_METRICS_TOKEN: "metrics-token-for-a-start-test-0123456789",
  PIMS_SMS_PROVIDER: "webhook",
  PIMS_SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms",
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pims-start-"));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe("npm start", () => {
  it("serves /health on SQLite and generates a development key with a warning", async () => {
    const started = spawnInRepository("npm", ["start", "--silent"], { PIMS_DATA_DIR: dataDir, PIMS_PORT: "0" });
    try {
      const url = await started.listening;
      const response = await fetch(`${url}/health`);
      expect(await response.json()).toEqual({ status: "ok", database: "sqlite", checks: { database: "ok" } });
      expect(started.output()).toContain("generated a development secret key");
      // Development mode says so, loudly, with the address and what it exposes.
      expect(started.output()).toContain(`DEVELOPMENT MODE on ${url} — not for real users.`);
      expect(started.output()).toContain(`every SMS code is readable by anyone at ${url}/dev/sms`);
      expect((await stat(join(dataDir, "secret.key"))).mode & 0o777).toBe(0o600);
      await stat(join(dataDir, "pims.db"));
      // The demo page's two brands are declared (--demo-brands), beside the default tenant.
      const client = async (clientId?: string) =>
        (await fetch(`${url}/v1/client`, { headers: clientId ? { "pims-client-id": clientId } : {} })).json();
      expect(await client("demo-peugeot-web")).toMatchObject({
        status: "SUCCEEDED",
        result: { tenant: { id: "peugeot", name: "Peugeot (demo)" }, app: "Peugeot demo page" },
      });
      expect(await client("demo-opel-web")).toMatchObject({ result: { tenant: { id: "opel", name: "Opel (demo)" } } });
      expect(await client()).toMatchObject({ result: { tenant: { id: "default" } } });
    } finally {
      await started.stop("SIGTERM");
    }
  });
});

describe("pims serve", () => {
  it("reuses its development key and exits 0 on SIGTERM", async () => {
    const first = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_PORT: "0",
    });
    await first.listening;
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain('"signal":"SIGTERM"');
    const second = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_PORT: "0",
    });
    await second.listening;
    expect(second.output()).not.toContain("generated a development secret key");
    expect(await second.stop("SIGINT")).toBe(0);
  });
});

describe("pims serve, run as a command (the installed `pims`)", () => {
  it("starts node with the flags of its first line: the server's young generation bounded", async () => {
    const started = spawnInRepository("./packages/server/bin/pims.js", ["serve"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_PORT: "0",
    });
    try {
      await started.listening;
      // env(1) execs node in the same process: its command line is the server's.
      const commandLine = (await readFile(`/proc/${started.child.pid}/cmdline`, "utf8")).split("\0");
      expect(commandLine.slice(1, 3)).toEqual(["--max-semi-space-size=4", "./packages/server/bin/pims.js"]);
    } finally {
      expect(await started.stop("SIGTERM")).toBe(0);
    }
  });
});

describe("pims command", () => {
  it("refuses production mode without PIMS_SECRET_KEY: exit 3 and a clear message", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--production"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_SECRET_KEY: "",
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("PIMS_SECRET_KEY is required in production mode");
  });

  it("refuses a real SMS provider without an explicit mode: exit 3, no server, no /dev/sms of real codes", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_PORT: "0",
      PIMS_SMS_PROVIDER: "webhook",
      PIMS_SMS_WEBHOOK_URL: "http://127.0.0.1:9/sms",
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("PIMS_SMS_PROVIDER=webhook sends real SMS: set PIMS_MODE=production");
  });

  it("in production, says when PIMS_PUBLIC_URL (the assertions' issuer) is not set, and not when it is", async () => {
    const production = productionSettings();
    const warning = "PIMS_PUBLIC_URL is not set: step-up assertions name this listening URL as issuer";
    const unset = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], production);
    await unset.listening;
    expect(await unset.stop("SIGTERM")).toBe(0);
    expect(unset.output()).toContain(warning);
    const set = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], {
      ...production,
      PIMS_PUBLIC_URL: "https://pims.example.com",
    });
    await set.listening;
    expect(await set.stop("SIGTERM")).toBe(0);
    expect(set.output()).not.toContain("PIMS_PUBLIC_URL");
  });

  it("refuses --demo-brands in production mode, and with PIMS_TENANTS_FILE: exit 3, no server", async () => {
    const production = await runInRepository(
      "node",
      ["packages/server/bin/pims.js", "serve", "--demo-brands"],
      productionSettings(),
    );
    expect(production.code).toBe(3);
    expect(production.stderr).toContain(
      "--demo-brands declares demo tenants for the development demo page: not in production mode",
    );
    const both = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--demo-brands"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_PORT: "0",
      PIMS_TENANTS_FILE: join(dataDir, "tenants.yaml"),
    });
    expect(both.code).toBe(3);
    expect(both.stderr).toContain("--demo-brands and PIMS_TENANTS_FILE");
  });

  it("refuses a bad port: exit 2", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--port", "http"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("a port is a number");
  });

  it("refuses an unknown command: exit 2 with help", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "fly"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command");
  });

  it("refuses a bad setting: exit 3 naming it", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "migrate"], {
      PIMS_DATABASE_URL: "mysql://x",
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("PIMS_DATABASE_URL");
  });

  it("reports every configuration problem at once, and warns about a misspelled setting", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--production"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_SECRET_KEY: "",
      PIMS_PORT: "eighty",
      PIMS_SMS_PROVIDER: "pigeon",
      PIMS_SMS_COOLDOWM: "10",
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "pims: warning: PIMS_SMS_COOLDOWM is not a Pims setting: ignored (did you mean PIMS_SMS_COOLDOWN?)\n",
    );
    expect(result.stderr).toContain(
      [
        "pims: 4 configuration errors:",
        "  - PIMS_SECRET_KEY is required in production mode (generate one with `pims secret generate`)",
        "  - PIMS_METRICS_TOKEN is required in production mode (`pims secret generate` prints one)",
        '  - PIMS_PORT must be a whole number, got "eighty"',
        '  - PIMS_SMS_PROVIDER must be one of console, webhook, twilio, got "pigeon"',
        "",
      ].join("\n"),
    );
  });

  it("migrates a new database, then finds it up to date", async () => {
    const env = { PIMS_DATABASE_URL: `sqlite:${join(dataDir, "m.db")}` };
    const first = await runInRepository("node", ["packages/server/bin/pims.js", "migrate"], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain("applied: 0001_accounts");
    const second = await runInRepository("node", ["packages/server/bin/pims.js", "migrate"], env);
    expect(second.stdout).toContain("database is up to date");
  });

  it("generates secret keys that the server accepts", async () => {
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "secret", "generate"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
