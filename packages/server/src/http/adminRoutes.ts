import { createHash } from "node:crypto";
import type { ParamList } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AdminQueries } from "../admin/AdminQueries.js";
import { adminEvent } from "../audit/adminEvent.js";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import { DEFAULT_TENANT } from "../db/TenantScope.js";
import type { Services } from "../Services.js";
import type { Tenant } from "../tenants/buildTenant.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { bearerOf } from "./authenticate.js";
import { registerTenantAdmin } from "./tenantAdminRoutes.js";

/** Who an admin request is from: the deployment's operator, or the administrator of one tenant. */
type Administrator = { readonly operator: true } | { readonly operator: false; readonly tenant: string };

declare module "fastify" {
  interface FastifyRequest {
    administrator?: Administrator;
  }
}

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
 * The admin API, under `/v1/admin/`, as one Fastify plugin: its hook authenticates every request,
 * before the body is even read, by a bearer token (2301 otherwise): `PIMS_ADMIN_KEY`, the
 * operator's key, for every tenant and the deployment's own keys; or a tenant administrator key
 * (`ptk_…`, decision 0028), for its tenant only. A request works on the tenant its `tenant` query
 * parameter names (the operator; default: the default tenant) or its key's tenant; any other
 * tenant is unknown to a tenant's key (2102 `tenant`), as is a tenant that does not exist. Without
 * `PIMS_ADMIN_KEY` the routes do not exist.
 */
export function registerAdminRoutes(app: FastifyInstance, services: Services, tenants: TenantRegistry): void {
  const adminKey = services.config.adminKey;
  if (adminKey === undefined) return;
  const expected = digest(adminKey);
  void app.register(async (admin) => {
    admin.addHook("onRequest", async (request) => {
      const presented = bearerOf(request);
      if (presented === undefined) throw new PimsError(2301);
      if (constantTimeEqual(digest(presented), expected)) {
        request.administrator = { operator: true };
      } else {
        const tenant = await tenants.tenants.tenantOfAdminKey(presented);
        // A disabled tenant's administrators are out with it (the operator still reaches its data).
        if (tenant === undefined || tenants.isDisabled(tenant)) throw new PimsError(2301);
        request.administrator = { operator: false, tenant };
      }
      request.tenantLabel = "deployment";
    });
    const tenantOf = (request: FastifyRequest) => adminTenant(request, tenants);
    registerRelyingPartyAdmin(admin, tenantOf);
    registerAccountAdmin(admin, tenantOf);
    // The operator's only: a child plugin whose hook runs after the one above, for its routes alone.
    void admin.register(async (operator) => {
      operator.addHook("onRequest", async (request) => requireOperator(request));
      registerAssertionKeyAdmin(operator, services);
      registerSecretAdmin(operator, tenants);
      registerTenantAdmin(operator, tenants);
    });
  });
}

/** The tenant an admin request works on (see {@link registerAdminRoutes}). */
function adminTenant(request: FastifyRequest, tenants: TenantRegistry): Services {
  const administrator = request.administrator;
  if (!administrator) throw new PimsError(2301);
  const named = (request.query as { tenant?: unknown } | undefined)?.tenant;
  if (named !== undefined && typeof named !== "string") throw new PimsError(2102, { parameter: "tenant" });
  const id = administrator.operator ? (named ?? DEFAULT_TENANT) : administrator.tenant;
  if (!administrator.operator && named !== undefined && named !== id)
    throw new PimsError(2102, { parameter: "tenant" });
  const tenant: Tenant | undefined = tenants.get(id);
  if (!tenant) throw new PimsError(2102, { parameter: "tenant" });
  request.tenantLabel = tenant.id;
  return tenant.services;
}

/** Only the operator's key: the deployment's own keys and secrets, and the tenants themselves. */
function requireOperator(request: FastifyRequest): void {
  if (!request.administrator?.operator) throw new PimsError(2301, { httpStatus: 403 });
}

type TenantOf = (request: FastifyRequest) => Services;

const succeed = (result: unknown) => ({ status: "SUCCEEDED", result });

/** Relying parties: create (the key is shown once), list, revoke. */
function registerRelyingPartyAdmin(admin: FastifyInstance, tenantOf: TenantOf): void {
  admin.post("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.create" } }, async (request) => {
    const { relyingParties, audit } = tenantOf(request);
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

  admin.get("/v1/admin/relying-parties", { config: { operation: "admin.relyingParty.list" } }, async (request) =>
    succeed({ relyingParties: await tenantOf(request).relyingParties.list() }),
  );

  admin.post(
    "/v1/admin/relying-parties/:id/revoke",
    { config: { operation: "admin.relyingParty.revoke" } },
    async (request) => {
      const { relyingParties, audit } = tenantOf(request);
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
function registerAccountAdmin(admin: FastifyInstance, tenantOf: TenantOf): void {
  // It only composes the tenant's owners: nothing to keep between requests.
  const queries = (request: FastifyRequest) => new AdminQueries(tenantOf(request));
  const accountOf = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const account = await queries(request).account(id);
    if (!account) throw new PimsError(2102, { parameter: "id" });
    return account;
  };

  admin.get("/v1/admin/accounts", { config: { operation: "admin.accounts.find" } }, async (request) => {
    const query = (request.query as { query?: unknown }).query;
    const input = readParams(ADMIN_INPUTS.accountQuery, { query: typeof query === "string" ? query.trim() : query });
    return succeed({ accounts: await queries(request).findAccounts(input.query) });
  });

  admin.get("/v1/admin/accounts/:id", { config: { operation: "admin.accounts.show" } }, async (request) => {
    const account = await accountOf(request);
    return succeed({ account, devices: await queries(request).devices(account.id) });
  });

  admin.get("/v1/admin/accounts/:id/audit", { config: { operation: "admin.accounts.audit" } }, async (request) => {
    const account = await accountOf(request);
    const events = await queries(request).audit(account.id);
    return succeed({
      events: events.map((e) => ({ ...e, at: Number(e.at), detail: e.detail ? JSON.parse(e.detail) : null })),
    });
  });

  admin.post("/v1/admin/accounts/:id/unblock", { config: { operation: "admin.accounts.unblock" } }, async (request) => {
    const account = await accountOf(request);
    const { pinGuard, audit } = tenantOf(request);
    await pinGuard.reset(account.id);
    await audit.append({ ...adminEvent(request.ip, "account.unblock"), accountId: account.id });
    return succeed({ wasBlocked: account.blocked });
  });

  admin.post("/v1/admin/devices/:id/disable", { config: { operation: "admin.devices.disable" } }, async (request) => {
    const { id } = request.params as { id: string };
    const { accounts, devices, otps, audit, transaction } = tenantOf(request);
    // The device and every live OTP it was issued die together (design property 4).
    const device = await transaction(async (trx) => {
      // Its account's row lock first, the order S15 takes them in (the account, then its device):
      // the other order can deadlock with a correct-PIN S15 on PostgreSQL (red team 8, as S12 did).
      // Under the lock, the disable reads the device afresh: two disables of one device run one
      // after the other, and only the first counts it off the account's active devices.
      const seen = await devices.find(id, trx);
      if (!seen) return undefined;
      await accounts.lockRow(seen.account_id, trx);
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
}

/** Re-sealing every tenant's PIN verifiers under the current key: the operator's, across tenants. */
function registerSecretAdmin(admin: FastifyInstance, tenants: TenantRegistry): void {
  admin.post("/v1/admin/secret/rekey", { config: { operation: "admin.secret.rekey" } }, async (request) => {
    let changed = 0;
    let remaining = 0;
    const { keyring } = tenants.default.services;
    for (const { services } of tenants.all()) {
      changed += await services.pinVerifiers.rekey();
      remaining += (await services.pinVerifiers.countByKey())
        .filter((row) => row.keyId !== keyring.currentId)
        .reduce((sum, row) => sum + row.count, 0);
    }
    await tenants.default.services.audit.append(adminEvent(request.ip, "secret.rekey"));
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
