import type { Kysely, Selectable } from "kysely";
import type { Clock } from "../Clock.js";
import { CLIENT_ID, TENANT_ID } from "../config/tenantsFile.js";
import { PimsError } from "../core/PimsError.js";
import { randomId, randomToken, sha256Hex } from "../crypto/random.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { AppsTable, DatabaseSchema, TenantsTable } from "../db/schema.js";
import { DEPLOYMENT_TENANT } from "../db/TenantScope.js";

export type TenantRow = Selectable<TenantsTable>;
export type AppRow = Selectable<AppsTable>;

/** What the tenants file (or an operator) declares of a tenant. */
export interface TenantEntry {
  readonly id: string;
  readonly name: string;
  readonly disabled?: boolean;
  /** The tenant's overrides of the deployment's settings, as declared (JSON), or none. */
  readonly policy?: unknown;
  readonly apps?: readonly { readonly clientId: string; readonly name: string; readonly disabled?: boolean }[];
}

/**
 * The deployment's tables `tenants`, `apps` and `tenant_admin_keys` (decision 0028): which brands
 * the deployment serves, the client ids of their apps, and the keys that administer one tenant
 * only. Disabling is a date, never a deletion: a tenant's accounts stay, its requests get 2006.
 */
export class Tenants {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  /** Every tenant but the reserved ones, oldest first. */
  async list(): Promise<TenantRow[]> {
    const rows = await this.db.selectFrom("tenants").selectAll().orderBy("created_at").orderBy("id").execute();
    return rows.filter((row) => !row.id.startsWith("_"));
  }

  find(id: string): Promise<TenantRow | undefined> {
    return this.db.selectFrom("tenants").selectAll().where("id", "=", id).executeTakeFirst();
  }

  app(clientId: string): Promise<AppRow | undefined> {
    return this.db.selectFrom("apps").selectAll().where("client_id", "=", clientId).executeTakeFirst();
  }

  apps(tenantId?: string): Promise<AppRow[]> {
    let query = this.db.selectFrom("apps").selectAll();
    if (tenantId !== undefined) query = query.where("tenant_id", "=", tenantId);
    return query.orderBy("created_at").execute();
  }

  /** Creates a tenant; 2102 `id` for a malformed, reserved or taken id. */
  async create(entry: { id: string; name: string; policy?: unknown }): Promise<TenantRow> {
    if (!TENANT_ID.test(entry.id) || entry.id === DEPLOYMENT_TENANT) throw new PimsError(2102, { parameter: "id" });
    const row: TenantRow = {
      id: entry.id,
      name: entry.name,
      policy: entry.policy === undefined ? null : JSON.stringify(entry.policy),
      created_at: this.clock.now(),
      disabled_at: null,
    };
    try {
      await this.db.insertInto("tenants").values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new PimsError(2102, { parameter: "id" });
      throw error;
    }
    return row;
  }

  /** Disables (or enables again) a tenant; false when there is no such tenant. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    if (id.startsWith("_")) return false;
    const result = await this.db
      .updateTable("tenants")
      .set({ disabled_at: disabled ? this.clock.now() : null })
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Adds an app to a tenant; 2102 `clientId` for a malformed or taken client id, `tenant` for no such tenant. */
  async createApp(entry: { tenantId: string; clientId: string; name: string }): Promise<AppRow> {
    if (!CLIENT_ID.test(entry.clientId)) throw new PimsError(2102, { parameter: "clientId" });
    const tenant = await this.find(entry.tenantId);
    if (!tenant || tenant.id.startsWith("_")) throw new PimsError(2102, { parameter: "tenant" });
    const row: AppRow = {
      client_id: entry.clientId,
      tenant_id: entry.tenantId,
      name: entry.name,
      created_at: this.clock.now(),
      disabled_at: null,
    };
    try {
      await this.db.insertInto("apps").values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new PimsError(2102, { parameter: "clientId" });
      throw error;
    }
    return row;
  }

  async setAppDisabled(clientId: string, disabled: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable("apps")
      .set({ disabled_at: disabled ? this.clock.now() : null })
      .where("client_id", "=", clientId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Brings the tables in line with the tenants file: what it declares is created, its names and
   * policies replace the stored ones, and what it marks disabled is disabled. What it does not
   * mention is left as it is, and a tenant or app disabled by an operator is not enabled again by a
   * restart: enabling is an operator's act (`pims admin tenant enable`). A client id declared for
   * one tenant but stored for another is refused, not moved.
   */
  async sync(entries: readonly TenantEntry[]): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      for (const entry of entries) {
        const policy = entry.policy === undefined ? null : JSON.stringify(entry.policy);
        const existing = await trx.selectFrom("tenants").select("id").where("id", "=", entry.id).executeTakeFirst();
        if (existing)
          await trx.updateTable("tenants").set({ name: entry.name, policy }).where("id", "=", entry.id).execute();
        else
          await trx
            .insertInto("tenants")
            .values({ id: entry.id, name: entry.name, policy, created_at: now, disabled_at: null })
            .execute();
        if (entry.disabled)
          await trx
            .updateTable("tenants")
            .set({ disabled_at: now })
            .where("id", "=", entry.id)
            .where("disabled_at", "is", null)
            .execute();
        for (const app of entry.apps ?? []) {
          const stored = await trx
            .selectFrom("apps")
            .select("tenant_id")
            .where("client_id", "=", app.clientId)
            .executeTakeFirst();
          if (stored && stored.tenant_id !== entry.id)
            throw new Error(
              `client id ${app.clientId} of tenant ${entry.id} belongs to tenant ${stored.tenant_id} in the database`,
            );
          if (stored)
            await trx.updateTable("apps").set({ name: app.name }).where("client_id", "=", app.clientId).execute();
          else
            await trx
              .insertInto("apps")
              .values({
                client_id: app.clientId,
                tenant_id: entry.id,
                name: app.name,
                created_at: now,
                disabled_at: null,
              })
              .execute();
          if (app.disabled)
            await trx
              .updateTable("apps")
              .set({ disabled_at: now })
              .where("client_id", "=", app.clientId)
              .where("disabled_at", "is", null)
              .execute();
        }
      }
    });
  }

  /** A key that administers `tenantId` only (`ptk_…`, shown once; only its SHA-256 is kept). */
  async createAdminKey(
    tenantId: string,
    name: string,
  ): Promise<{ id: string; tenant: string; name: string; key: string }> {
    const tenant = await this.find(tenantId);
    if (!tenant || tenant.id.startsWith("_")) throw new PimsError(2102, { parameter: "tenant" });
    const now = this.clock.now();
    const id = randomId("tak", now);
    const key = randomToken("ptk");
    await this.db
      .insertInto("tenant_admin_keys")
      .values({ id, tenant_id: tenantId, name, key_hash: sha256Hex(key), created_at: now, revoked_at: null })
      .execute();
    return { id, tenant: tenantId, name, key };
  }

  async revokeAdminKey(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable("tenant_admin_keys")
      .set({ revoked_at: this.clock.now() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The tenant of an administrator key by its id (live or revoked), or `undefined`. */
  async tenantOfAdminKeyId(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("tenant_admin_keys")
      .select("tenant_id")
      .where("id", "=", id)
      .executeTakeFirst();
    return row?.tenant_id;
  }

  adminKeys(tenantId?: string) {
    let query = this.db.selectFrom("tenant_admin_keys").select(["id", "tenant_id", "name", "created_at", "revoked_at"]);
    if (tenantId !== undefined) query = query.where("tenant_id", "=", tenantId);
    return query.orderBy("created_at").execute();
  }

  /** The tenant a live tenant admin key administers, or `undefined`. */
  async tenantOfAdminKey(key: string): Promise<string | undefined> {
    if (!/^ptk_[A-Za-z0-9_-]{43}$/.test(key)) return undefined;
    const row = await this.db
      .selectFrom("tenant_admin_keys")
      .select("tenant_id")
      .where("key_hash", "=", sha256Hex(key))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row?.tenant_id;
  }
}
