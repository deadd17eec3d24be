import { createHash } from "node:crypto";
import { isPlainObject, normalizeValue } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { adminEvent } from "../audit/adminEvent.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import { bearerOf } from "../http/authenticate.js";
import { PimsError } from "../http/PimsError.js";
import type { Services } from "../Services.js";
import { AdminQueries } from "./AdminQueries.js";

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

  registerAccountRoutes(app, services, admin, succeed);

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

/** Account administration: find, inspect, unblock, disable a device, audit trail, re-key. */
function registerAccountRoutes(
  app: FastifyInstance,
  services: Services,
  admin: (request: FastifyRequest) => void,
  succeed: (result: unknown) => unknown,
): void {
  const queries = new AdminQueries(services.db, services.config.pin, services.config.phone.defaultRegion);
  const accountOf = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const account = await queries.account(id);
    if (!account) throw new PimsError(2102, { parameter: "id" });
    return account;
  };

  app.get("/v1/admin/accounts", { config: { operation: "admin.accounts.find" } }, async (request) => {
    admin(request);
    const query = (request.query as { query?: unknown }).query;
    if (typeof query !== "string" || query.trim() === "") throw new PimsError(2101, { parameter: "query" });
    if (query.length > 254) throw new PimsError(2102, { parameter: "query" });
    return succeed({ accounts: await queries.findAccounts(query.trim()) });
  });

  app.get("/v1/admin/accounts/:id", { config: { operation: "admin.accounts.show" } }, async (request) => {
    admin(request);
    const account = await accountOf(request);
    return succeed({ account, devices: await queries.devices(account.id) });
  });

  app.get("/v1/admin/accounts/:id/audit", { config: { operation: "admin.accounts.audit" } }, async (request) => {
    admin(request);
    const account = await accountOf(request);
    const events = await queries.audit(account.id);
    return succeed({
      events: events.map((e) => ({ ...e, at: Number(e.at), detail: e.detail ? JSON.parse(e.detail) : null })),
    });
  });

  app.post("/v1/admin/accounts/:id/unblock", { config: { operation: "admin.accounts.unblock" } }, async (request) => {
    admin(request);
    const account = await accountOf(request);
    await services.pinGuard.reset(account.id);
    await services.audit.append({ ...adminEvent(request.ip, "account.unblock"), accountId: account.id });
    return succeed({ wasBlocked: account.blocked });
  });

  app.post("/v1/admin/devices/:id/disable", { config: { operation: "admin.devices.disable" } }, async (request) => {
    admin(request);
    const { id } = request.params as { id: string };
    // The device and every live OTP it was issued die together (design property 4).
    const device = await services.db.transaction().execute(async (trx) => {
      const found = await services.devices.disable(id, trx);
      if (!found) return undefined;
      const revoked = await services.otps.revoke({ accountId: found.account_id, deviceId: id }, "device.disable", trx);
      await services.audit.append(
        {
          ...adminEvent(request.ip, "device.disable", { revokedOtps: revoked }),
          accountId: found.account_id,
          deviceId: id,
        },
        trx,
      );
      return found;
    });
    if (!device) throw new PimsError(2102, { parameter: "id" });
    return succeed({ id, status: device.status });
  });

  app.post("/v1/admin/secret/rekey", { config: { operation: "admin.secret.rekey" } }, async (request) => {
    admin(request);
    const changed = await services.pinVerifiers.rekey();
    const remaining = await services.db
      .selectFrom("pin_verifiers")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("key_id", "!=", services.keyring.currentId)
      .executeTakeFirstOrThrow();
    await services.audit.append(adminEvent(request.ip, "secret.rekey"));
    return succeed({
      keyId: services.keyring.currentId,
      resealed: changed,
      remainingUnderFormerKeys: Number(remaining.count),
    });
  });
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
