import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { readBody } from "./fakeTwilio.js";
import { rawServer } from "./rawServers.js";
import { ADMIN_KEY } from "./relyingParty.js";
import { runInRepository, type Spawned, spawnInRepository } from "./spawnPims.js";

/** The storage configurations available to this run: SQLite always, PostgreSQL (+ Redis) when their URLs are set. */
export const CLUSTER_ENGINES = [
  "sqlite",
  ...(process.env.PIMS_TEST_DATABASE_URL ? ["postgres"] : []),
  ...(process.env.PIMS_TEST_DATABASE_URL && process.env.PIMS_TEST_REDIS_URL ? ["postgres+redis"] : []),
] as const;

export interface Cluster {
  readonly urls: string[];
  readonly processes: Spawned[];
  /** SMS received by the webhook from every process, newest last. */
  readonly sms: { to: string; body: string }[];
  /** Starts process `index` again (after a kill), on a new port. */
  restart(index: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * N `pims serve` processes sharing one database — a SQLite file, or a PostgreSQL schema (and Redis
 * for `postgres+redis`) — with one secret key, one admin key, and SMS delivered by webhook to a
 * receiver in the test process.
 */
export async function startCluster(
  engine: string,
  size: number,
  env: Record<string, string> = {},
  /** Migrate with `pims migrate`, then start every process at once (they race for the first keys). */
  together = false,
): Promise<Cluster> {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-cluster-"));
  const isolation = randomBytes(6).toString("hex");
  const sms: { to: string; body: string }[] = [];
  const receiver = await rawServer(async (req, res) => {
    sms.push(JSON.parse(await readBody(req)) as { to: string; body: string });
    res.end();
  });
  const schema = `pims_cluster_${isolation}`;
  const shared: Record<string, string> = {
    PIMS_SECRET_KEY: randomBytes(32).toString("base64url"),
    PIMS_ADMIN_KEY: ADMIN_KEY,
    PIMS_DATA_DIR: dataDir,
    PIMS_PORT: "0",
    PIMS_LOG_LEVEL: "info",
    PIMS_MODE: "development",
    PIMS_SMS_PROVIDER: "webhook",
    PIMS_SMS_WEBHOOK_URL: receiver.url,
    PIMS_SMS_COOLDOWN: "0",
    PIMS_MAX_ACCOUNTS_PER_ADDRESS: "100000",
    PIMS_SMS_PER_ACCOUNT_HOUR: "1000",
    PIMS_SMS_PER_ACCOUNT_DAY: "1000",
    PIMS_SMS_PER_ADDRESS_HOUR: "100000",
    PIMS_SMS_PER_ADDRESS_DAY: "100000",
    ...(engine === "sqlite" ? { PIMS_DATABASE_URL: `sqlite:${join(dataDir, "shared.db")}` } : {}),
    ...(engine.startsWith("postgres")
      ? { PIMS_DATABASE_URL: process.env.PIMS_TEST_DATABASE_URL as string, PIMS_DATABASE_SCHEMA: schema }
      : {}),
    ...(engine === "postgres+redis"
      ? { PIMS_REDIS_URL: process.env.PIMS_TEST_REDIS_URL as string, PIMS_REDIS_PREFIX: `pims-cluster:${isolation}:` }
      : {}),
    ...env,
  };
  const start = async () => {
    const spawned = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], shared);
    return { spawned, url: await spawned.listening };
  };
  // The first process migrates; the others then start together (or all at once, when asked).
  if (together) {
    const migrated = await runInRepository("node", ["packages/server/bin/pims.js", "migrate"], shared);
    if (migrated.code !== 0) throw new Error(`pims migrate failed: ${migrated.stderr}`);
  }
  const [first, ...rest] = together
    ? await Promise.all(Array.from({ length: size }, start))
    : [await start(), ...(await Promise.all(Array.from({ length: size - 1 }, start)))];
  if (!first) throw new Error("a cluster has at least one process");
  const processes = [first.spawned, ...rest.map((r) => r.spawned)];
  const urls = [first.url, ...rest.map((r) => r.url)];
  return {
    urls,
    processes,
    sms,
    async restart(index) {
      const again = await start();
      processes[index] = again.spawned;
      urls[index] = again.url;
      return again.url;
    },
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      await receiver.close();
      if (engine.startsWith("postgres")) {
        const client = new pg.Client({ connectionString: process.env.PIMS_TEST_DATABASE_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The code of the newest SMS to `e164` the cluster sent. */
export function clusterCode(cluster: Cluster, e164: string): string {
  const message = cluster.sms.filter((m) => m.to === e164).at(-1);
  const code = message ? /\b(\d{4,10})\b/.exec(message.body)?.[1] : undefined;
  if (!code) throw new Error(`no SMS for ${e164}`);
  return code;
}
