import { HEADERS } from "@pims/protocol";
import type { FastifyRequest } from "fastify";
import type { Tenant } from "../tenants/buildTenant.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The tenant that served the request (its id labels the request's metrics). */
    tenantLabel?: string;
  }
}

/**
 * The tenant of a request from an app: by its `Pims-Client-Id` header, or the default tenant
 * without one; 2006 for an unknown or disabled client id (decision 0028).
 */
export async function clientTenant(request: FastifyRequest, tenants: TenantRegistry): Promise<Tenant> {
  const value = request.headers[HEADERS.clientId];
  const clientId = typeof value === "string" ? value : undefined;
  request.tenantLabel = "unknown";
  const tenant = await tenants.forClient(clientId);
  request.tenantLabel = tenant.id;
  return tenant;
}
