import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { DatabaseSchema } from "../db/schema.js";
import { PimsError } from "../http/PimsError.js";

/**
 * The account's trusted number. One per account (primary key) and unique across accounts (unique
 * index): a second account trusting a number gets 2390 from the constraint itself, so two racing
 * accounts cannot both win.
 */
export class TrustedPhones {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  async of(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<string | undefined> {
    const row = await db
      .selectFrom("trusted_phones")
      .select("phone_e164")
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return row?.phone_e164;
  }

  /**
   * Trusts `e164` for an account that has no number: 2317 if this account has one, 2390 if another
   * account has this number. No query follows a failed statement (PostgreSQL aborts the
   * transaction), so the violated constraint is read from the error.
   */
  async add(accountId: string, e164: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    if ((await this.of(accountId, db)) !== undefined) throw new PimsError(2317);
    try {
      await db
        .insertInto("trusted_phones")
        .values({ account_id: accountId, phone_e164: e164, trusted_at: this.clock.now() })
        .execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new PimsError(violates(error, "account_id", "trusted_phones_pkey") ? 2317 : 2390);
    }
  }

  /** Replaces (or sets) the account's number: 2390 if another account has `e164`. */
  async replace(accountId: string, e164: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    try {
      const updated = await db
        .updateTable("trusted_phones")
        .set({ phone_e164: e164, trusted_at: this.clock.now() })
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await this.add(accountId, e164, db);
    } catch (error) {
      if (isUniqueViolation(error)) throw new PimsError(2390);
      throw error;
    }
  }
}

function violates(error: unknown, column: string, constraint: string): boolean {
  const { message, constraint: named } = error as { message?: string; constraint?: string };
  return named === constraint || (typeof message === "string" && message.includes(`trusted_phones.${column}`));
}
