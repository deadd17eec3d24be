import { loginUser } from "@pims/protocol";
import { forTenant } from "@pims/server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, loggedInPims } from "../support/facade.js";
import { startTestServer, TEST_REDIS, type TestServer } from "../support/startTestServer.js";

/**
 * Where the shared, short-lived state lives: rate-limit counters, SMS cooldowns and signed-request
 * nonces go to Redis when PIMS_REDIS_URL is set, and to the database otherwise.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_SMS_COOLDOWN: "30", PIMS_LOGIN_MAX_FAILURES_PER_LOGIN: "2" } });
});
afterAll(() => server.close());

describe(`limits, cooldowns and nonces (${TEST_REDIS ? "Redis" : "database"})`, () => {
  it("hold, and are kept where the configuration says", async () => {
    const { pims, login } = await loggedInPims(server.url);
    await enrollWithShortcut(server.url, pims);
    for (let i = 0; i < 2; i++) {
      expectFailure(await pims.set(loginUser.api, { action: "login", login, password: "bad" }), 2401);
    }
    expectFailure(await pims.set(loginUser.api, { action: "login", login, password: "bad" }), 2383);
    const { db, config } = server.server.services;
    const rows = {
      counters: (await db.selectFrom("rate_limits").selectAll().execute()).length,
      cooldowns: (await db.selectFrom("sms_cooldowns").selectAll().execute()).length,
      // A signed request's nonce is spent for every tenant: it is the deployment's (decision 0028).
      nonces: (await forTenant(db, "_deployment").selectFrom("request_nonces").selectAll().execute()).length,
    };
    if (TEST_REDIS) {
      expect(rows).toEqual({ counters: 0, cooldowns: 0, nonces: 0 });
      const redis = new Redis(config.redisUrl as string);
      try {
        const keys = await redis.keys(`${config.redisPrefix}*`);
        expect(keys.some((k) => k.includes("login-failures:login:"))).toBe(true);
        expect(keys.some((k) => k.includes("cooldown:+33"))).toBe(true);
        expect(keys.some((k) => k.includes("nonce:dev_"))).toBe(true);
      } finally {
        redis.disconnect();
      }
    } else {
      expect(rows.counters).toBeGreaterThan(0);
      expect(rows.cooldowns).toBeGreaterThan(0);
      expect(rows.nonces).toBeGreaterThan(0);
    }
  });
});
