import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl } from "../support/rawServers.js";
import { runInRepository } from "../support/spawnPims.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { startTcpProxy } from "../support/tcpProxy.js";

/**
 * Dependencies a platform team gets wrong or loses: start-up fails fast and says which, and
 * `/health` reports the database and Redis separately (`/health/live` stays up for liveness).
 */
describe("start-up with an unreachable Redis", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pims-deps-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("pims serve exits 1 within a bounded time, naming Redis, its address and the error, never a password", async () => {
    const closed = new URL(await closedPortUrl());
    const redisUrl = `redis://:hunter2-redis-password@127.0.0.1:${closed.port}`;
    const started = Date.now();
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--port", "0"], {
      PIMS_DATA_DIR: dataDir,
      PIMS_REDIS_URL: redisUrl,
    });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `pims: Redis at redis://127.0.0.1:${closed.port} (PIMS_REDIS_URL) is unreachable: no connection within 10 s: connect ECONNREFUSED`,
    );
    expect(result.stderr + result.stdout).not.toContain("hunter2-redis-password");
    expect(seconds).toBeLessThan(20);
    console.log(`[figures] unreachable Redis: pims serve exited 1 after ${seconds.toFixed(1)} s`);
  }, 40_000);
});

describe("start-up with an unreachable PostgreSQL", () => {
  it("pims serve exits 1 naming PostgreSQL, its address and the error, never a password", async () => {
    const closed = new URL(await closedPortUrl());
    const result = await runInRepository("node", ["packages/server/bin/pims.js", "serve", "--port", "0"], {
      PIMS_DATA_DIR: await mkdtemp(join(tmpdir(), "pims-deps-pg-")),
      PIMS_DATABASE_URL: `postgres://pims:hunter2-pg-password@127.0.0.1:${closed.port}/pims`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `pims: PostgreSQL at postgres://127.0.0.1:${closed.port}/pims (PIMS_DATABASE_URL) cannot be used: connect ECONNREFUSED`,
    );
    expect(result.stderr + result.stdout).not.toContain("hunter2-pg-password");
  }, 40_000);
});

describe("GET /health and /health/live", () => {
  it("report the database; no Redis check without Redis", async () => {
    const server = await startTestServer({ env: { PIMS_REDIS_URL: "" } });
    try {
      const response = await fetch(`${server.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok", database: TEST_ENGINE, checks: { database: "ok" } });
      expect(await (await fetch(`${server.url}/health/live`)).json()).toEqual({ status: "ok" });
    } finally {
      await server.close();
    }
  });
});

const redisUrl = process.env.PIMS_TEST_REDIS_URL;
if (!redisUrl) console.log("NOTE: the Redis health suite did not run: PIMS_TEST_REDIS_URL is not set.");

describe.runIf(Boolean(redisUrl))("Redis lost, then back", () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    const target = new URL(redisUrl as string);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    target.host = `127.0.0.1:${proxy.port}`;
    server = await startTestServer({
      env: { PIMS_REDIS_URL: target.toString(), PIMS_REDIS_PREFIX: `pims-health:${Date.now().toString(36)}:` },
    });
  });
  afterAll(async () => {
    proxy.restore();
    await server.close();
    await proxy.close();
  });

  it("/health answers 503 naming Redis (the database still ok) while it is away, 200 once it is back", async () => {
    const ok = { status: "ok", database: TEST_ENGINE, checks: { database: "ok", redis: "ok" } };
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual(ok);
    proxy.cut();
    const during = await fetch(`${server.url}/health`);
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({
      status: "unavailable",
      database: TEST_ENGINE,
      checks: { database: "ok", redis: "unreachable" },
    });
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    proxy.restore();
    await expect
      .poll(async () => (await fetch(`${server.url}/health`)).json(), { timeout: 15_000, interval: 250 })
      .toEqual(ok);
    expect(server.logs.join("")).toContain("health check: Redis unreachable");
  }, 30_000);
});
