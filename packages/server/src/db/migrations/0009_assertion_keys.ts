import type { Kysely } from "kysely";

/**
 * The signing keys of step-up assertions (docs/decisions/0026-signed-step-up-assertions.md): the
 * public JWK, the private key sealed under the keyring, and when each key was made, activated and
 * retired. `slot` is `active` on the one key that signs, `next` on the one published ahead of its
 * turn, null on retired ones: its unique index makes "one of each" hold across processes (a
 * second first key, or a second rotation at once, fails its insert instead of adding a signer).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("assertion_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("public_jwk", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("sealed_private_key", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("activated_at", "bigint")
    .addColumn("retired_at", "bigint")
    .addColumn("slot", "text", (c) => c.unique())
    .execute();
}
