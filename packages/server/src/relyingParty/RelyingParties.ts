import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId, randomToken, sha256Hex } from "../crypto/random.js";
import type { DatabaseSchema } from "../db/schema.js";
import { acrossTenants } from "../db/TenantScope.js";

export interface RelyingParty {
  readonly id: string;
  readonly name: string;
}

/**
 * Relying parties and their API keys (`prk_…`, 256 random bits). Created and revoked by an
 * administrator; only the SHA-256 of a key is stored, and the key is shown once, at creation.
 */
export class RelyingParties {
  /** API key digest → relying party, for a few seconds: one lookup fewer per verification. */
  readonly #cache = new Map<string, { party: RelyingParty | undefined; until: number }>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    /** How long a lookup is reused: a revocation made on another process takes effect within it. */
    private readonly cacheMs = 5_000,
  ) {}

  async create(name: string): Promise<{ id: string; name: string; key: string }> {
    const now = this.clock.now();
    const id = randomId("rp", now);
    const key = randomToken("prk");
    await this.db
      .insertInto("relying_parties")
      .values({ id, name, key_hash: sha256Hex(key), created_at: now, revoked_at: null })
      .execute();
    return { id, name, key };
  }

  /** True when a live relying party was revoked. */
  async revoke(id: string): Promise<boolean> {
    this.#cache.clear();
    const result = await this.db
      .updateTable("relying_parties")
      .set({ revoked_at: this.clock.now() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The live relying party of an API key, or `undefined`. */
  async authenticate(key: string): Promise<RelyingParty | undefined> {
    if (!/^prk_[A-Za-z0-9_-]{43}$/.test(key)) return undefined;
    const digest = sha256Hex(key);
    const now = this.clock.now();
    const cached = this.#cache.get(digest);
    if (cached && cached.until > now) return cached.party;
    const party = await this.db
      .selectFrom("relying_parties")
      .select(["id", "name"])
      .where("key_hash", "=", digest)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(digest, { party, until: now + this.cacheMs });
    return party;
  }

  /**
   * The tenant of a live relying party's key, across tenants (decision 0028): a verification runs
   * on that tenant's owners, where {@link authenticate} finds the party again, scoped.
   */
  static async tenantOfKey(db: Kysely<DatabaseSchema>, key: string): Promise<string | undefined> {
    if (!/^prk_[A-Za-z0-9_-]{43}$/.test(key)) return undefined;
    const row = await acrossTenants(db)
      .selectFrom("relying_parties")
      .select("tenant_id")
      .where("key_hash", "=", sha256Hex(key))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row?.tenant_id;
  }

  list() {
    return this.db
      .selectFrom("relying_parties")
      .select(["id", "name", "created_at", "revoked_at"])
      .orderBy("created_at")
      .execute();
  }
}
