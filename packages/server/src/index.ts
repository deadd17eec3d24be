export type { Argon2Cost } from "./accounts/PasswordHasher.js";
export { auditEventsPage } from "./audit/auditEventsPage.js";
export {
  AUDIT_EVENTS,
  type AuditEvent,
  type AuditEventDeclaration,
  type AuditEventName,
  type AuditOutcome,
} from "./audit/events.js";
export { type Clock, systemClock } from "./Clock.js";
export type { Config } from "./config/Config.js";
export { ConfigError } from "./config/ConfigError.js";
export { DEMO_TENANTS_FILE, demoTenants } from "./config/demoTenants.js";
export { knownVariables, type LoadConfigOptions, loadConfig } from "./config/loadConfig.js";
export { PimsError } from "./core/PimsError.js";
export { createPimsServer, type PimsServer, type ServerOptions } from "./createPimsServer.js";
export { Keyring } from "./crypto/Keyring.js";
export { migrate } from "./db/migrate.js";
export { openDatabase } from "./db/openDatabase.js";
export { DEFAULT_TENANT, forTenant } from "./db/TenantScope.js";
export { openApi, operationPages } from "./docs/index.js";
export type { Services } from "./Services.js";
export { startServer } from "./startServer.js";
