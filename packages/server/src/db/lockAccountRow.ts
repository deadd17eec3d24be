import { type Kysely, sql } from "kysely";
import type { Engine } from "./openDatabase.js";
import type { DatabaseSchema } from "./schema.js";

/**
 * Takes the account row's lock for the rest of the transaction `trx`, changing nothing, so that
 * the transactions of one account that call it, or that update the row (an S15 PIN attempt holds
 * it from its attempt to the commit of its OTP), run one after the other. On PostgreSQL a
 * `FOR NO KEY UPDATE` row lock (the lock an UPDATE of the row takes); on SQLite nothing: its write
 * transactions (`BEGIN IMMEDIATE`) already run one at a time.
 */
export async function lockAccountRow(trx: Kysely<DatabaseSchema>, engine: Engine, accountId: string): Promise<void> {
  if (engine === "postgres") await sql`select id from accounts where id = ${accountId} for no key update`.execute(trx);
}
