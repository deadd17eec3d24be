import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, createPimsServer, Keyring, loadConfig, type PimsServer, type ServerOptions } from "@pims/server";
import { sql } from "kysely";

/** The engine this test run is about: `PIMS_TEST_ENGINE` (set per Vitest project), SQLite by default. */
export const TEST_ENGINE: "sqlite" | "postgres" = process.env.PIMS_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";
/** Whether limits, cooldowns and nonces go to Redis in this run. */
export const TEST_REDIS = process.env.PIMS_TEST_ENGINE_REDIS === "1";

/**
 * Argon2id at 1 MiB and 1 pass for the passwords of test servers, instead of 19 MiB and 2: a
 * suite's accounts (about 375 per engine) took some 30 % of its time hashing. No test here is about
 * the hash's cost; `pims serve` in the process suites (cluster, CLI, step-up, adoption) and
 * tenantsMigration's hasher keep the production one.
 */
const TEST_HASH_COST = { memoryCost: 1024, timeCost: 1 } as const;

export interface TestServer {
  readonly url: string;
  readonly server: PimsServer;
  /** Every log line the server wrote, as JSON text. */
  readonly logs: string[];
  /** What the console SMS provider printed. */
  readonly smsConsole: string[];
  readonly dataDir: string;
  readonly databasePath: string;
  readonly secretKey: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra PIMS_* settings. */
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
  /** Tenants to declare, as a tenants file would (decision 0028). */
  readonly tenants?: ServerOptions["tenants"];
}

/**
 * A real Pims server for a test: its own SQLite file in a temporary folder, listening on a free
 * loopback port, logs captured at debug level.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-test-"));
  const secretKey = randomBytes(32).toString("base64url");
  const isolation = randomBytes(6).toString("hex");
  const config = loadConfig(
    {
      PIMS_DATA_DIR: dataDir,
      PIMS_LOG_LEVEL: "debug",
      PIMS_SECRET_KEY: secretKey,
      // Round trips send many SMS from one address: the pumping guard has its own suite.
      PIMS_SMS_COOLDOWN: "0",
      PIMS_SMS_PER_PHONE_HOUR: "1000",
      PIMS_SMS_PER_PHONE_DAY: "1000",
      PIMS_SMS_PER_TRUSTED_PHONE_HOUR: "1000",
      PIMS_SMS_PER_TRUSTED_PHONE_DAY: "1000",
      PIMS_SMS_GLOBAL_PER_HOUR: "1000000",
      PIMS_SMS_PER_ACCOUNT_HOUR: "1000",
      PIMS_SMS_PER_ACCOUNT_DAY: "1000",
      PIMS_SMS_PER_ADDRESS_HOUR: "100000",
      PIMS_SMS_PER_ADDRESS_DAY: "100000",
      PIMS_MAX_ACCOUNTS_PER_ADDRESS: "100000",
      ...engineSettings(isolation),
      ...options.env,
    },
    { port: 0, host: "127.0.0.1" },
  );
  const logs: string[] = [];
  const smsConsole: string[] = [];
  const server = await createPimsServer({
    config,
    keyring: Keyring.fromSecrets(secretKey),
    passwordHashCost: TEST_HASH_COST,
    logDestination: { write: (line: string) => logs.push(line) },
    smsConsole: { write: (text: string) => smsConsole.push(text) },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.tenants ? { tenants: options.tenants } : {}),
  });
  const url = await server.listen();
  return {
    url,
    server,
    logs,
    smsConsole,
    dataDir,
    databasePath: join(dataDir, "pims.db"),
    secretKey,
    async close() {
      if (config.databaseSchema) {
        await sql`drop schema if exists ${sql.id(config.databaseSchema)} cascade`.execute(server.services.db);
      }
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Settings that put a test server on the engine of the run, isolated from every other one. */
export function engineSettings(isolation: string): Record<string, string> {
  const settings: Record<string, string> = {};
  if (TEST_ENGINE === "postgres") {
    const url = process.env.PIMS_TEST_DATABASE_URL;
    if (!url) throw new Error("PIMS_TEST_ENGINE=postgres needs PIMS_TEST_DATABASE_URL");
    settings.PIMS_DATABASE_URL = url;
    settings.PIMS_DATABASE_SCHEMA = `pims_test_${isolation}`;
  }
  if (TEST_REDIS) {
    const url = process.env.PIMS_TEST_REDIS_URL;
    if (!url) throw new Error("PIMS_TEST_ENGINE_REDIS needs PIMS_TEST_REDIS_URL");
    settings.PIMS_REDIS_URL = url;
    settings.PIMS_REDIS_PREFIX = `pims-test:${isolation}:`;
  }
  return settings;
}
