// Placeholder until the tenants file loader lands (H2): no file support, no policy.

import type { TenantEntry } from "../tenants/Tenants.js";
import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";

export function loadTenantsFile(path: string, _deployment: Config): TenantEntry[] {
  throw new ConfigError(`PIMS_TENANTS_FILE ${path}: not supported yet`);
}

export function applyTenantPolicy(deployment: Config, _policy: unknown): Config {
  return deployment;
}
