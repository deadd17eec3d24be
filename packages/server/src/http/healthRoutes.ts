import type { FastifyInstance } from "fastify";
import { PimsError } from "../core/PimsError.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import type { Services } from "../Services.js";

/** A dependency check gives up after this long: a load balancer's probe must not hang. */
const CHECK_TIMEOUT_MS = 2_000;

type Check = "ok" | "unreachable";

/**
 * What operators and their probes read: `GET /health` (readiness: 200 when the database and, when configured, Redis answer; 503 naming
 * which does not) and `GET /health/live` (liveness: 200 while the process serves HTTP, whatever
 * its dependencies — restarting a process does not bring a database back), and `GET /metrics`
 * (Prometheus; bearer `PIMS_METRICS_TOKEN` when set, 2301 otherwise).
 */
export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  const { redis } = services;
  app.get("/health", async (_request, reply) => {
    const [database, redisCheck] = await Promise.all([
      check(services, "database", () => services.pingDatabase()),
      redis ? check(services, "Redis", () => redis.ping()) : undefined,
    ]);
    const checks = { database, ...(redisCheck ? { redis: redisCheck } : {}) };
    const healthy = database === "ok" && redisCheck !== "unreachable";
    return reply
      .code(healthy ? 200 : 503)
      .send({ status: healthy ? "ok" : "unavailable", database: services.engine, checks });
  });

  app.get("/health/live", async () => ({ status: "ok" }));

  app.get("/metrics", { config: { operation: "metrics" } }, async (request, reply) => {
    const token = services.config.metricsToken;
    if (token !== undefined && !constantTimeEqual(request.headers.authorization ?? "", `Bearer ${token}`)) {
      throw new PimsError(2301);
    }
    return reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
}

async function check(services: Services, name: string, probe: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return "ok";
  } catch (error) {
    services.logger.error({ err: error }, `health check: ${name} unreachable`);
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}
