import type { Kysely } from "kysely";

/**
 * What a step-up reports as its authentication methods (RFC 8176 `amr`, issue 17): how the PIN in
 * force was set (`enrollment`, `change`, or `reset` by an SMS code; `null` for a PIN set before this
 * was recorded), and each OTP's methods as issued (space-separated; `null` for OTPs issued before,
 * read from their factors).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("pin_verifiers").addColumn("set_by", "text").execute();
  await db.schema.alterTable("otps").addColumn("methods", "text").execute();
}
