import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { PimsError } from "../core/PimsError.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import type { Keyring } from "../crypto/Keyring.js";
import { byIds } from "../db/byIds.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";

const PURPOSE = "pin-verifier";

/**
 * The account PIN, kept as a verifier useless without the secret key (design property 1;
 * docs/decisions/0004-pin-verifier.md): `AES-256-GCM(K, SHA-256("pims-pin-v1" | salt | PIN))`,
 * bound to the account by the AAD. A copy of the database cannot confirm a guess; rotating the key
 * re-seals every verifier without knowing a PIN.
 */
export class PinVerifiers {
  // Compiled once (db/Prepared.ts): every PIN check reads the verifier, every S15 the recovery time.
  readonly #byAccount;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {
    this.#byAccount = prepare(
      db
        .selectFrom("pin_verifiers")
        .select(["key_id", "salt", "sealed"])
        .where("account_id", "=", param<string>("accountId")),
    );
  }

  async has(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<boolean> {
    const row = await db
      .selectFrom("pin_verifiers")
      .select("account_id")
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Replaces the account's PIN (S13, S14). */
  async set(accountId: string, pin: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    const values = this.#verifier(accountId, pin);
    await db
      .insertInto("pin_verifiers")
      .values({ account_id: accountId, ...values })
      .onConflict((conflict) => conflict.column("account_id").doUpdateSet(values))
      .execute();
  }

  /** Sets the first PIN of an account; 2317 if one was set meanwhile (two devices racing). */
  async create(accountId: string, pin: string, db: Kysely<DatabaseSchema>): Promise<void> {
    try {
      await db
        .insertInto("pin_verifiers")
        .values({ account_id: accountId, ...this.#verifier(accountId, pin) })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new PimsError(2317);
      throw error;
    }
  }

  /**
   * Records that the account's PIN is being recovered by SMS: reset with an S6 code (S13), or
   * removed with every device (S12) so that the next enrollment sets a new one. Whatever PIN
   * follows — and any PIN changed from it with S14 — rests on the phone number, not on what the
   * user knew (decision 0027).
   */
  async recordRecovery(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db.updateTable("accounts").set({ pin_recovered_at: this.clock.now() }).where("id", "=", accountId).execute();
  }

  /**
   * True when a PIN recovered by SMS at `recoveredAt` (the account's `pin_recovered_at`, as a PIN
   * attempt reads it: `PinAttempt.recoveredAt`) was recovered within the last `windowMs`.
   */
  recoveredWithin(recoveredAt: number | null, windowMs: number): boolean {
    return windowMs > 0 && recoveredAt !== null && this.clock.now() - recoveredAt <= windowMs;
  }

  /** True when `pin` is the account's PIN; `undefined` when the account has none. */
  async matches(accountId: string, pin: string, db: Kysely<DatabaseSchema> = this.db): Promise<boolean | undefined> {
    const row = await this.#byAccount.first(db, { accountId });
    if (!row) return undefined;
    const stored = this.keyring.open(PURPOSE, row.sealed, accountId, row.key_id);
    if (!stored) throw new Error("PIN verifier cannot be opened: unknown key or altered row");
    return constantTimeEqual(stored, digest(row.salt, pin));
  }

  async remove(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db.deleteFrom("pin_verifiers").where("account_id", "=", accountId).execute();
  }

  /** Of some accounts, those that have a PIN. */
  async withPin(accountIds: readonly string[]): Promise<Set<string>> {
    const found = await byIds(
      accountIds,
      (ids) => this.db.selectFrom("pin_verifiers").select("account_id").where("account_id", "in", ids).execute(),
      (row) => [row.account_id, true],
    );
    return new Set(found.keys());
  }

  /** How many verifiers are sealed under each key id (the start-up key check, the re-key report). */
  async countByKey(): Promise<{ keyId: string; count: number }[]> {
    const rows = await this.db
      .selectFrom("pin_verifiers")
      .select((eb) => ["key_id", eb.fn.countAll<number>().as("count")])
      .groupBy("key_id")
      .execute();
    return rows.map((row) => ({ keyId: row.key_id, count: Number(row.count) }));
  }

  /** Re-seals every verifier under the current key (after a rotation). Returns how many changed. */
  async rekey(): Promise<number> {
    const rows = await this.db
      .selectFrom("pin_verifiers")
      .select(["account_id", "key_id", "sealed"])
      .where("key_id", "!=", this.keyring.currentId)
      .execute();
    let changed = 0;
    for (const row of rows) {
      const inner = this.keyring.open(PURPOSE, row.sealed, row.account_id, row.key_id);
      if (!inner) continue;
      const result = await this.db
        .updateTable("pin_verifiers")
        .set({ key_id: this.keyring.currentId, sealed: this.keyring.seal(PURPOSE, inner, row.account_id) })
        .where("account_id", "=", row.account_id)
        .where("sealed", "=", row.sealed)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }

  /** A new verifier row for `pin`: fresh salt, sealed under the current key, bound to the account. */
  #verifier(accountId: string, pin: string) {
    const salt = randomBytes(16).toString("base64url");
    return {
      key_id: this.keyring.currentId,
      salt,
      sealed: this.keyring.seal(PURPOSE, digest(salt, pin), accountId),
      set_at: this.clock.now(),
    };
  }
}

function digest(salt: string, pin: string): Buffer {
  return createHash("sha256").update(`pims-pin-v1|${salt}|${pin}`, "utf8").digest();
}
