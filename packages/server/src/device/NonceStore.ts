import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";

/** Remembers signed-request nonces for their lifetime, shared by every process. */
export interface NonceStore {
  /** True the first time `key` is seen within `ttlMs`; false for a replay. */
  remember(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets expired nonces. */
  purge(): Promise<void>;
}

/** {@link NonceStore} in the `request_nonces` table: an insert that does nothing on a replay. */
export class DatabaseNonces implements NonceStore {
  /** Compiled once (db/Prepared.ts): every signed request inserts its nonce. */
  readonly #insert;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {
    this.#insert = prepare(
      db
        .insertInto("request_nonces")
        .values({ key: param<string>("key"), expires_at: param<number>("expiresAt") })
        .onConflict((conflict) => conflict.column("key").doNothing())
        .returning("key"),
    );
  }

  async remember(key: string, ttlMs: number): Promise<boolean> {
    const row = await this.#insert.first(this.db, { key, expiresAt: this.clock.now() + ttlMs });
    return row !== undefined;
  }

  async purge(): Promise<void> {
    await this.db.deleteFrom("request_nonces").where("expires_at", "<", this.clock.now()).execute();
  }
}
