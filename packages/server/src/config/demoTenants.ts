import { fileURLToPath } from "node:url";
import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import { loadTenantsFile, type TenantDeclaration } from "./tenantsFile.js";

/** The demo brands' tenants file, shipped with the server (`demo/tenants.yaml`). */
export const DEMO_TENANTS_FILE = fileURLToPath(new URL("../../demo/tenants.yaml", import.meta.url));

/**
 * The two demo brands of `pims serve --demo-brands` ("Peugeot (demo)" with the app
 * `demo-peugeot-web`, "Opel (demo)" with `demo-opel-web`), checked against `deployment` as a
 * tenants file is. Development mode only, and not with `PIMS_TENANTS_FILE`: a {@link ConfigError}.
 *
 * @example
 * const server = await createPimsServer({ config, tenants: demoTenants(config) });
 */
export function demoTenants(deployment: Config): TenantDeclaration[] {
  if (deployment.mode === "production") {
    throw new ConfigError(
      "--demo-brands declares demo tenants for the development demo page: not in production mode (declare real tenants with PIMS_TENANTS_FILE)",
    );
  }
  if (deployment.tenantsFile !== undefined) {
    throw new ConfigError(
      `--demo-brands and PIMS_TENANTS_FILE (${deployment.tenantsFile}) both declare tenants: use one of them`,
    );
  }
  return loadTenantsFile(DEMO_TENANTS_FILE, deployment);
}
