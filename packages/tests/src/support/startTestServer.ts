import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, createPimsServer, Keyring, loadConfig, type PimsServer } from "@pims/server";

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
}

/**
 * A real Pims server for a test: its own SQLite file in a temporary folder, listening on a free
 * loopback port, logs captured at debug level.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-test-"));
  const secretKey = randomBytes(32).toString("base64url");
  const config = loadConfig(
    {
      PIMS_DATA_DIR: dataDir,
      PIMS_LOG_LEVEL: "debug",
      PIMS_SECRET_KEY: secretKey,
      // Round trips send many SMS from one address: the pumping guard has its own suite.
      PIMS_SMS_COOLDOWN: "0",
      PIMS_SMS_PER_PHONE_HOUR: "1000",
      PIMS_SMS_PER_PHONE_DAY: "1000",
      PIMS_SMS_PER_ACCOUNT_HOUR: "1000",
      PIMS_SMS_PER_ACCOUNT_DAY: "1000",
      PIMS_SMS_PER_ADDRESS_HOUR: "100000",
      PIMS_SMS_PER_ADDRESS_DAY: "100000",
      PIMS_MAX_ACCOUNTS_PER_ADDRESS: "100000",
      ...options.env,
    },
    { port: 0, host: "127.0.0.1" },
  );
  const logs: string[] = [];
  const smsConsole: string[] = [];
  const server = await createPimsServer({
    config,
    keyring: Keyring.fromSecrets(secretKey),
    logDestination: { write: (line: string) => logs.push(line) },
    smsConsole: { write: (text: string) => smsConsole.push(text) },
    ...(options.clock ? { clock: options.clock } : {}),
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
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
