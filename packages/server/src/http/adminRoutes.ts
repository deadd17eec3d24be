import { createHash } from "node:crypto";
import type { ParamList } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AdminQueries } from "../admin/AdminQueries.js";
import { adminEvent } from "../audit/adminEvent.js";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import type { Services } from "../Services.js";
import { bearerOf } from "./authenticate.js";

/** Parameters of the admin API's inputs, checked like an operation's (2101/2102 naming them). */
const ADMIN_INPUTS = {
  relyingPartyName: {
    params: [
      { name: "name", required: true, format: { kind: "text", maxLength: 100 }, secret: false, description: "" },
    ],
  },
  accountQuery: {
    params: [
      { name: "query", required: true, format: { kind: "text", maxLength: 254 }, secret: false, description: "" },
    ],
  },
} as const satisfies Record<string, ParamList>;

/**
 * The admin API, under `/v1/admin/`, as one Fastify plugin: its hook authenticates every request
 * by `PIMS_ADMIN_KEY` as a bearer token (2301 otherwise), before the body is even read. Without
 * that setting the routes do not exist.
 */
export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  const adminKey = services.config.adminKey;
  if (adminKey === undefined) return;
  const expected = digest(adminKey);
  void app.register(async (admin) => {
    admin.addHook("onRequest", async (request) => {
      const presented = bearerOf(request);
      if (presented === undefined || !constantTimeEqual(digest(presented), expected)) throw new PimsError(2301);
    });
    registerRelyingPartyAdmin(admin, services);
    registerAccountAdmin(admin, services);
    registerAssertionKeyAdmin(admin, services);
  });
}

const succeed = (result: unknown) => ({ status: "SUCCEEDED", result });

/** Relying parties: create (the key is shown once), list, revoke. */
function registerRelyingPartyAdmin(admin: FastifyInstance, services: Services): void {
  const { relyingParties, audit } = services;
  admin.post("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.create" } }, async (request) => {
    const { name } = readParams(ADMIN_INPUTS.relyingPartyName, request.body);
    const created = await relyingParties.create(name);
    await audit.append({
      event: "admin.relyingParty.create",
      outcome: "success",
      clientAddress: request.ip,
      detail: { relyingParty: created.id },
    });
    return succeed(created);
  });

  admin.get("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.list" } }, async () =>
    succeed({ relyingParties: await relyingParties.list() }),
  );

  admin.post(
    "/v1/admin/relying-parties/:id/revoke",
    { config: { operation: "admin.relyingParty.revoke" } },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!(await relyingParties.revoke(id))) throw new PimsError(2102, { parameter: "id" });
      await audit.append({
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
function registerAccountAdmin(admin: FastifyInstance, services: Services): void {
  const { pinGuard, devices, otps, pinVerifiers, keyring, audit, transaction } = services;
  const queries = new AdminQueries(services);
  const accountOf = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const account = await queries.account(id);
    if (!account) throw new PimsError(2102, { parameter: "id" });
    return account;
  };

  admin.get("/v1/admin/accounts", { config: { operation: "admin.accounts.find" } }, async (request) => {
    const query = (request.query as { query?: unknown }).query;
    const input = readParams(ADMIN_INPUTS.accountQuery, { query: typeof query === "string" ? query.trim() : query });
    return succeed({ accounts: await queries.findAccounts(input.query) });
  });

  admin.get("/v1/admin/accounts/:id", { config: { operation: "admin.accounts.show" } }, async (request) => {
    const account = await accountOf(request);
    return succeed({ account, devices: await queries.devices(account.id) });
  });

  admin.get("/v1/admin/accounts/:id/audit", { config: { operation: "admin.accounts.audit" } }, async (request) => {
    const account = await accountOf(request);
    const events = await queries.audit(account.id);
    return succeed({
      events: events.map((e) => ({ ...e, at: Number(e.at), detail: e.detail ? JSON.parse(e.detail) : null })),
    });
  });

  admin.post("/v1/admin/accounts/:id/unblock", { config: { operation: "admin.accounts.unblock" } }, async (request) => {
    const account = await accountOf(request);
    await pinGuard.reset(account.id);
    await audit.append({ ...adminEvent(request.ip, "account.unblock"), accountId: account.id });
    return succeed({ wasBlocked: account.blocked });
  });

  admin.post("/v1/admin/devices/:id/disable", { config: { operation: "admin.devices.disable" } }, async (request) => {
    const { id } = request.params as { id: string };
    // The device and every live OTP it was issued die together (design property 4).
    const device = await transaction(async (trx) => {
      const found = await devices.disable(id, trx);
      if (!found) return undefined;
      const revoked = await otps.revoke({ accountId: found.account_id, deviceId: id }, "device.disable", trx);
      await audit.append(
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

  admin.post("/v1/admin/secret/rekey", { config: { operation: "admin.secret.rekey" } }, async (request) => {
    const changed = await pinVerifiers.rekey();
    const remaining = (await pinVerifiers.countByKey())
      .filter((row) => row.keyId !== keyring.currentId)
      .reduce((sum, row) => sum + row.count, 0);
    await audit.append(adminEvent(request.ip, "secret.rekey"));
    return succeed({ keyId: keyring.currentId, resealed: changed, remainingUnderFormerKeys: remaining });
  });
}

/** Step-up assertion keys: one rotation, the next key already published, the former one for the overlap. */
function registerAssertionKeyAdmin(admin: FastifyInstance, services: Services): void {
  const { assertionKeys, audit } = services;
  admin.post(
    "/v1/admin/assertion-keys/rotate",
    { config: { operation: "admin.assertionKeys.rotate" } },
    async (request) => {
      const { kid, next, retired } = await assertionKeys.rotate();
      await audit.append(adminEvent(request.ip, "assertionKey.rotate", { kid, ...(retired ? { retired } : {}) }));
      return succeed({
        kid,
        next,
        retired: retired ?? null,
        retiredPublishedForSeconds: assertionKeys.overlapMs / 1000,
      });
    },
  );
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
