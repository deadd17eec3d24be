import { INTERNAL_PATHS, type ParamList } from "@pims/protocol";
import type { FastifyInstance } from "fastify";
import { PimsError } from "../core/PimsError.js";
import { readParams } from "../core/readParams.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { clientIdOf, clientTenant } from "./clientTenant.js";

const REFRESH = {
  params: [
    {
      name: "refreshToken",
      required: true,
      format: { kind: "token", maxLength: 47 },
      secret: true,
      description: "The refresh token of the session (`prt_…`).",
    },
  ],
} as const satisfies ParamList;

/**
 * `POST` {@link INTERNAL_PATHS.refresh}: the SDK trades its refresh token for new tokens (decision
 * 0010), in the tenant of its client id. `GET` {@link INTERNAL_PATHS.client}: the app of a client
 * id and its tenant, which `initialize` checks (2006 for an unknown or disabled one).
 */
export function registerSessionRoutes(app: FastifyInstance, tenants: TenantRegistry): void {
  app.get(INTERNAL_PATHS.client, { config: { operation: "client" } }, async (request) => {
    const tenant = await clientTenant(request, tenants);
    return { status: "SUCCEEDED", result: tenants.describeClient(clientIdOf(request), tenant) };
  });
  app.post(INTERNAL_PATHS.refresh, async (request) => {
    const { services } = await clientTenant(request, tenants);
    const { refreshToken } = readParams(REFRESH, request.body ?? {});
    if (!/^prt_[A-Za-z0-9_-]{43}$/.test(refreshToken)) throw new PimsError(2102, { parameter: "refreshToken" });
    const tokens = await services.sessions.rotate(refreshToken);
    if (!tokens) throw new PimsError(2301);
    return { status: "SUCCEEDED", result: tokens };
  });
}
