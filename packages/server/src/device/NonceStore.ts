import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import { forTenant, tenantOf } from "../db/TenantScope.js";

/** Remembers signed-request nonces for their lifetime, shared by every process. */
export interface NonceStore {
  /**
   * True the first time `key` is seen within `ttlMs`; false for a replay. With `trx` (the
   * transaction of what the request does), a store in the database remembers the key in it: the
   * nonce is spent by the commit of the request's own work, and a replay racing it waits on the
   * key's row and finds it spent. A store elsewhere (Redis) remembers it at once.
   */
  remember(key: string, ttlMs: number, trx?: Kysely<DatabaseSchema>): Promise<boolean>;
  /**
   * Whether `remember` writes in the given transaction (the database's store); Redis's does not,
   * so a signed request's nonce is spent before the handler's transaction, never from inside it
   * (a transaction's work waits on nothing but the database: db/GroupCommit.ts).
   */
  readonly joinsTransactions: boolean;
  /** Forgets expired nonces. */
  purge(): Promise<void>;
}

/** {@link NonceStore} in the `request_nonces` table: an insert that does nothing on a replay. */
export class DatabaseNonces implements NonceStore {
  /** Compiled once (db/Prepared.ts): every signed request inserts its nonce. */
  readonly #insert;
  readonly joinsTransactions = true;

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

  async remember(key: string, ttlMs: number, trx?: Kysely<DatabaseSchema>): Promise<boolean> {
    // The nonces are the deployment's (one key may be enrolled in two brands): in a tenant's
    // transaction, the statement runs scoped as this store's database is, on that transaction.
    const tenant = tenantOf(this.db);
    const db = trx === undefined ? this.db : tenant === undefined ? trx : forTenant(trx, tenant);
    const row = await this.#insert.first(db, { key, expiresAt: this.clock.now() + ttlMs });
    return row !== undefined;
  }

  async purge(): Promise<void> {
    await this.db.deleteFrom("request_nonces").where("expires_at", "<", this.clock.now()).execute();
  }
}
