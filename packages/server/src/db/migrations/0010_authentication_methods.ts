import type { Kysely } from "kysely";

/**
 * What a step-up reports as its authentication methods (RFC 8176 `amr`, issue 17): when the
 * account's PIN was last recovered by SMS (an S13 reset, or S12 removing it so that a new
 * enrollment sets another; `null`: never, or before this was recorded), and each OTP's methods as
 * issued (space-separated; `null` for OTPs issued before, read from their factors).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("pin_recovered_at", "bigint").execute();
  await db.schema.alterTable("otps").addColumn("methods", "text").execute();
}
