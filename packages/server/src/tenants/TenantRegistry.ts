import type { Config } from "../config/Config.js";
import { SMS_BRAND } from "../config/loadConfig.js";
import { PimsError } from "../core/PimsError.js";
import { sha256Hex } from "../crypto/random.js";
import { DEFAULT_TENANT } from "../db/TenantScope.js";
import { RelyingParties } from "../relyingParty/RelyingParties.js";
import { buildTenant, type Deployment, type Tenant } from "./buildTenant.js";
import type { TenantRow, Tenants } from "./Tenants.js";

/** The tenant's settings: the deployment's with the tenant's policy (as stored, JSON) applied. */
export type ApplyPolicy = (deployment: Config, policy: unknown, tenant: string) => Config;

interface Entry {
  readonly tenant: Tenant;
  readonly name: string;
  /** The stored policy text the tenant was built with: a changed policy rebuilds it. */
  readonly policy: string | null;
  readonly disabled: boolean;
}

/**
 * The tenants this process serves, each built once (buildTenant.ts) and kept by id, and the client
 * ids of their apps. Requests find their tenant here: by client id (an unknown one, a disabled app
 * or a disabled tenant is 2006), or, without one, the default tenant. The tables are read again
 * every `refreshMs` (a tenant or app created or disabled by another process takes effect within
 * it) and, at most once per `refreshMs / 10`, when an unknown client id is presented.
 */
export class TenantRegistry {
  #entries = new Map<string, Entry>();
  #apps = new Map<string, { readonly tenant: string; readonly name: string; readonly disabled: boolean }>();
  #lastLoad = 0;
  /** Relying-party key digest → its tenant, for a few seconds (as RelyingParties caches the party). */
  readonly #partyTenants = new Map<string, { tenant: string | undefined; until: number }>();
  #loading: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  private constructor(
    private readonly deployment: Deployment,
    readonly tenants: Tenants,
    private readonly applyPolicy: ApplyPolicy,
    private readonly refreshMs: number,
  ) {
    this.#timer = setInterval(() => {
      this.reload().catch((error: unknown) => deployment.logger.warn({ err: error }, "reloading the tenants failed"));
    }, refreshMs);
    this.#timer.unref();
  }

  static async open(deployment: Deployment, tenants: Tenants, applyPolicy: ApplyPolicy, refreshMs = 10_000) {
    const registry = new TenantRegistry(deployment, tenants, applyPolicy, refreshMs);
    try {
      await registry.reload();
    } catch (error) {
      registry.close();
      throw error;
    }
    return registry;
  }

  /** The default tenant: its services are the process's for what has no tenant (health, JWKS). */
  get default(): Tenant {
    const entry = this.#entries.get(DEFAULT_TENANT);
    if (!entry) throw new Error("the default tenant is missing from the tenants table");
    return entry.tenant;
  }

  /** Every tenant, disabled ones included (the purges and the operator work on them too). */
  all(): Tenant[] {
    return [...this.#entries.values()].map((entry) => entry.tenant);
  }

  /** A tenant by id, disabled or not; `undefined` for none (or a reserved id). */
  get(id: string): Tenant | undefined {
    return this.#entries.get(id)?.tenant;
  }

  isDisabled(id: string): boolean {
    return this.#entries.get(id)?.disabled ?? true;
  }

  /**
   * The tenant of a request by its app's client id; without one, the default tenant. 2006 for a
   * client id of no app, a disabled app, or an app of a disabled tenant.
   */
  async forClient(clientId: string | undefined): Promise<Tenant> {
    const id = clientId === undefined ? DEFAULT_TENANT : await this.#tenantOfApp(clientId);
    const entry = id === undefined ? undefined : this.#entries.get(id);
    // Not the catalogue's 503: the client is misconfigured, the server is not unavailable.
    if (!entry || entry.disabled) throw new PimsError(2006, { httpStatus: 400 });
    return entry.tenant;
  }

  /** The app of a client id and the tenant {@link forClient} found for it, for `GET /v1/client`. */
  describeClient(clientId: string | undefined, tenant: Tenant) {
    const app = clientId === undefined ? undefined : this.#apps.get(clientId);
    return { clientId: clientId ?? null, app: app?.name ?? null, tenant: { id: tenant.id, name: tenant.name } };
  }

  /**
   * The tenant of a relying party's API key (a verification then runs on that tenant's owners,
   * which authenticate the key again, scoped), or `undefined` for no live key.
   */
  async forRelyingPartyKey(key: string): Promise<Tenant | undefined> {
    const digest = sha256Hex(key);
    const now = this.deployment.clock.now();
    let cached = this.#partyTenants.get(digest);
    if (!cached || cached.until <= now) {
      cached = { tenant: await RelyingParties.tenantOfKey(this.deployment.database.db, key), until: now + 5_000 };
      if (this.#partyTenants.size > 10_000) this.#partyTenants.clear();
      this.#partyTenants.set(digest, cached);
    }
    const entry = cached.tenant === undefined ? undefined : this.#entries.get(cached.tenant);
    return entry && !entry.disabled ? entry.tenant : undefined;
  }

  async #tenantOfApp(clientId: string): Promise<string | undefined> {
    let app = this.#apps.get(clientId);
    // Created on another process since the last read: read again, but not for every unknown id.
    if (!app && Date.now() - this.#lastLoad > this.refreshMs / 10) {
      await this.reload();
      app = this.#apps.get(clientId);
    }
    return app && !app.disabled ? app.tenant : undefined;
  }

  /** Reads the tables again: builds new tenants, rebuilds those whose policy changed, notes what is disabled. */
  reload(): Promise<void> {
    if (!this.#loading) {
      this.#loading = this.#load().finally(() => {
        this.#loading = undefined;
      });
      return this.#loading;
    }
    // A read is under way, and may have read the tables before the caller changed them (an
    // operator's disable): one more read after it, shared by every caller meanwhile.
    this.#queued ??= this.#loading
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.reload();
      });
    return this.#queued;
  }

  async #load(): Promise<void> {
    const [rows, apps] = await Promise.all([this.tenants.list(), this.tenants.apps()]);
    const entries = new Map<string, Entry>();
    for (const row of rows) entries.set(row.id, this.#entryFor(row));
    this.#entries = entries;
    this.#apps = new Map(
      apps.map((app) => [app.client_id, { tenant: app.tenant_id, name: app.name, disabled: app.disabled_at !== null }]),
    );
    this.#lastLoad = Date.now();
  }

  #entryFor(row: TenantRow): Entry {
    const disabled = row.disabled_at !== null;
    const known = this.#entries.get(row.id);
    if (known && known.policy === row.policy && known.name === row.name) return { ...known, disabled };
    const policy = row.policy === null ? undefined : (JSON.parse(row.policy) as { sms?: { brand?: string } });
    let config =
      policy === undefined ? this.deployment.config : this.applyPolicy(this.deployment.config, policy, row.id);
    // A brand's texts name the brand ("… is your Peugeot code …") unless its policy names another.
    if (row.id !== DEFAULT_TENANT && policy?.sms?.brand === undefined && SMS_BRAND.test(row.name))
      config = { ...config, sms: { ...config.sms, brand: row.name } };
    return {
      tenant: buildTenant(this.deployment, { id: row.id, name: row.name, config }),
      name: row.name,
      policy: row.policy,
      disabled,
    };
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
