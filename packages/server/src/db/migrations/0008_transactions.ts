import type { Kysely } from "kysely";

/**
 * Transaction signing (decision 0025): an OTP asked for a transaction keeps what the relying party
 * gets as evidence — the digest it is matched on, the canonical text, the device's signature and
 * the string it signed. All null for the OTPs without a transaction. One column per statement:
 * SQLite adds one at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ["transaction_digest", "transaction_canonical", "transaction_signature", "transaction_signed"]) {
    await db.schema.alterTable("otps").addColumn(column, "text").execute();
  }
}
