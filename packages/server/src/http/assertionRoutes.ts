import { JWKS_PATH } from "@pims/protocol";
import type { FastifyInstance } from "fastify";
import { JWKS_MAX_AGE_SECONDS } from "../assertion/AssertionKeys.js";
import type { Services } from "../Services.js";

/**
 * `GET /.well-known/jwks.json`: the public keys of step-up assertions (the active one and those
 * retired within the overlap), cacheable for {@link JWKS_MAX_AGE_SECONDS}. Public: it holds
 * nothing secret.
 */
export function registerAssertionRoutes(app: FastifyInstance, services: Services): void {
  const { assertionKeys } = services;
  app.get(JWKS_PATH, { config: { operation: "jwks" } }, async (_request, reply) =>
    reply
      .header("cache-control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      .type("application/jwk-set+json")
      .send({ keys: await assertionKeys.published() }),
  );
}
