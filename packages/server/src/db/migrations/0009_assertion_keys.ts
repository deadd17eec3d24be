import type { Kysely } from "kysely";

/**
 * The signing keys of step-up assertions (docs/decisions/0026-signed-step-up-assertions.md): the
 * public JWK, the private key sealed under the keyring, and when each key was made, activated and
 * retired. `active` is 1 on the one key that signs and null on the others: its unique index makes
 * "at most one active key" hold across processes (a second first key, or a second rotation at
 * once, fails the insert instead of adding a second signer).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("assertion_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("public_jwk", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("sealed_private_key", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("activated_at", "bigint", (c) => c.notNull())
    .addColumn("retired_at", "bigint")
    .addColumn("active", "integer", (c) => c.unique())
    .execute();
}
