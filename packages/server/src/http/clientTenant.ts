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
  request.tenantLabel = "unknown";
  const tenant = await tenants.forClient(clientIdOf(request));
  request.tenantLabel = tenant.id;
  return tenant;
}

/** The request's `Pims-Client-Id`, or `undefined` without one. */
export function clientIdOf(request: FastifyRequest): string | undefined {
  const value = request.headers[HEADERS.clientId];
  return typeof value === "string" ? value : undefined;
}
