import type { ParamList } from "@pims/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import type { AppRow, TenantRow } from "../tenants/Tenants.js";

const INPUTS = {
  tenant: {
    params: [
      { name: "id", required: true, format: { kind: "text", maxLength: 32 }, secret: false, description: "" },
      { name: "name", required: true, format: { kind: "text", maxLength: 100 }, secret: false, description: "" },
    ],
  },
  app: {
    params: [
      { name: "clientId", required: true, format: { kind: "text", maxLength: 128 }, secret: false, description: "" },
      { name: "name", required: true, format: { kind: "text", maxLength: 100 }, secret: false, description: "" },
    ],
  },
  named: {
    params: [
      { name: "name", required: true, format: { kind: "text", maxLength: 100 }, secret: false, description: "" },
    ],
  },
} as const satisfies Record<string, ParamList>;

const succeed = (result: unknown) => ({ status: "SUCCEEDED", result });

/**
 * The tenants themselves (decision 0028), registered in the admin API's operator-only plugin
 * (`PIMS_ADMIN_KEY`; a tenant's key gets 403 and 2301): list, create, disable and enable tenants and their apps, and give a tenant
 * its administrator keys. Each change is audited in the tenant it concerns, and this process sees
 * it at once (others within their refresh interval).
 */
export function registerTenantAdmin(admin: FastifyInstance, tenants: TenantRegistry): void {
  const table = tenants.tenants;
  /** The audit log of the tenant a change concerns. */
  const auditOf = (tenant: string) => (tenants.get(tenant)?.services ?? tenants.default.services).audit;
  const known = async (request: FastifyRequest): Promise<TenantRow> => {
    const { id } = request.params as { id: string };
    const row = id.startsWith("_") ? undefined : await table.find(id);
    if (!row) throw new PimsError(2102, { parameter: "id" });
    return row;
  };

  admin.get("/v1/admin/tenants", { config: { operation: "admin.tenants.list" } }, async () => {
    const [rows, apps] = await Promise.all([table.list(), table.apps()]);
    return succeed({ tenants: rows.map((row) => describe(row, apps)) });
  });

  admin.post("/v1/admin/tenants", { config: { operation: "admin.tenant.create" } }, async (request) => {
    const { id, name } = readParams(INPUTS.tenant, request.body);
    const row = await table.create({ id, name });
    await tenants.reload();
    await auditOf(id).append({
      event: "admin.tenant.create",
      outcome: "success",
      clientAddress: request.ip,
      detail: { tenant: id },
    });
    return succeed(describe(row, []));
  });

  for (const [action, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    admin.post(
      `/v1/admin/tenants/:id/${action}`,
      { config: { operation: `admin.tenant.${action}` } },
      async (request) => {
        const row = await known(request);
        await table.setDisabled(row.id, disabled);
        await tenants.reload();
        await auditOf(row.id).append({
          event: `admin.tenant.${action}`,
          outcome: "success",
          clientAddress: request.ip,
          detail: { tenant: row.id },
        });
        return succeed({ id: row.id, disabled });
      },
    );
    admin.post(
      `/v1/admin/apps/:clientId/${action}`,
      { config: { operation: `admin.app.${action}` } },
      async (request) => {
        const { clientId } = request.params as { clientId: string };
        const app = await table.app(clientId);
        if (!app || !(await table.setAppDisabled(clientId, disabled)))
          throw new PimsError(2102, { parameter: "clientId" });
        await tenants.reload();
        await auditOf(app.tenant_id).append({
          event: `admin.app.${action}`,
          outcome: "success",
          clientAddress: request.ip,
          detail: { app: clientId },
        });
        return succeed({ clientId, disabled });
      },
    );
  }

  admin.post("/v1/admin/tenants/:id/apps", { config: { operation: "admin.app.create" } }, async (request) => {
    const row = await known(request);
    const { clientId, name } = readParams(INPUTS.app, request.body);
    const app = await table.createApp({ tenantId: row.id, clientId, name });
    await tenants.reload();
    await auditOf(row.id).append({
      event: "admin.app.create",
      outcome: "success",
      clientAddress: request.ip,
      detail: { app: clientId },
    });
    return succeed(describeApp(app));
  });

  admin.get(
    "/v1/admin/tenants/:id/admin-keys",
    { config: { operation: "admin.tenantAdminKey.list" } },
    async (request) => {
      const row = await known(request);
      const keys = await table.adminKeys(row.id);
      return succeed({
        keys: keys.map((key) => ({
          id: key.id,
          name: key.name,
          createdAt: Number(key.created_at),
          revokedAt: key.revoked_at === null ? null : Number(key.revoked_at),
        })),
      });
    },
  );

  admin.post(
    "/v1/admin/tenants/:id/admin-keys",
    { config: { operation: "admin.tenantAdminKey.create" } },
    async (request) => {
      const row = await known(request);
      const { name } = readParams(INPUTS.named, request.body);
      const created = await table.createAdminKey(row.id, name);
      await auditOf(row.id).append({
        event: "admin.tenantAdminKey.create",
        outcome: "success",
        clientAddress: request.ip,
        detail: { key: created.id },
      });
      return succeed(created);
    },
  );

  admin.post(
    "/v1/admin/admin-keys/:id/revoke",
    { config: { operation: "admin.tenantAdminKey.revoke" } },
    async (request) => {
      const { id } = request.params as { id: string };
      const tenant = await table.tenantOfAdminKeyId(id);
      if (tenant === undefined || !(await table.revokeAdminKey(id))) throw new PimsError(2102, { parameter: "id" });
      await auditOf(tenant).append({
        event: "admin.tenantAdminKey.revoke",
        outcome: "success",
        clientAddress: request.ip,
        detail: { key: id },
      });
      return succeed(null);
    },
  );
}

function describe(row: TenantRow, apps: readonly AppRow[]) {
  return {
    id: row.id,
    name: row.name,
    disabled: row.disabled_at !== null,
    createdAt: Number(row.created_at),
    policy: row.policy === null ? null : JSON.parse(row.policy),
    apps: apps.filter((app) => app.tenant_id === row.id).map(describeApp),
  };
}

function describeApp(app: AppRow) {
  return { clientId: app.client_id, tenant: app.tenant_id, name: app.name, disabled: app.disabled_at !== null };
}
