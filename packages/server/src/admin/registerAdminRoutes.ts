import { createHash } from "node:crypto";
import { isPlainObject, normalizeValue } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import { bearerOf } from "../http/authenticate.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";

/**
 * The admin API, under `/v1/admin/`, authenticated by `PIMS_ADMIN_KEY` as a bearer token. Without
 * that setting the routes do not exist.
 */
export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  const adminKey = services.config.adminKey;
  if (adminKey === undefined) return;
  const expected = digest(adminKey);
  const admin = (request: FastifyRequest) => {
    const presented = bearerOf(request);
    if (presented === undefined || !constantTimeEqual(digest(presented), expected)) throw new PimsError(2301);
  };
  const succeed = (result: unknown) => ({ status: "SUCCEEDED", result });

  app.post("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.create" } }, async (request) => {
    admin(request);
    const name = isPlainObject(request.body) ? request.body.name : undefined;
    if (name === undefined || name === "") throw new PimsError(2101, { parameter: "name" });
    const valid = normalizeValue({ kind: "text", maxLength: 100 }, name);
    if (valid === undefined) throw new PimsError(2102, { parameter: "name" });
    const created = await services.relyingParties.create(valid);
    await services.audit.append({ event: "admin.relyingParty.create", outcome: "success", clientAddress: request.ip });
    return succeed(created);
  });

  app.get("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.list" } }, async (request) => {
    admin(request);
    return succeed({ relyingParties: await services.relyingParties.list() });
  });

  app.post(
    "/v1/admin/relying-parties/:id/revoke",
    { config: { operation: "admin.relyingParty.revoke" } },
    async (request) => {
      admin(request);
      const { id } = request.params as { id: string };
      if (!(await services.relyingParties.revoke(id))) throw new PimsError(2102, { parameter: "id" });
      await services.audit.append({
        event: "admin.relyingParty.revoke",
        outcome: "success",
        clientAddress: request.ip,
        detail: { relyingParty: id },
      });
      return succeed(null);
    },
  );
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
