import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId, randomToken, sha256Hex } from "../crypto/random.js";
import type { DatabaseSchema } from "../db/schema.js";

export interface RelyingParty {
  readonly id: string;
  readonly name: string;
}

/**
 * Relying parties and their API keys (`prk_…`, 256 random bits). Created and revoked by an
 * administrator; only the SHA-256 of a key is stored, and the key is shown once, at creation.
 */
export class RelyingParties {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
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
    return this.db
      .selectFrom("relying_parties")
      .select(["id", "name"])
      .where("key_hash", "=", sha256Hex(key))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
  }

  list() {
    return this.db
      .selectFrom("relying_parties")
      .select(["id", "name", "created_at", "revoked_at"])
      .orderBy("created_at")
      .execute();
  }
}
