import type { Kysely } from "kysely";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { Clock } from "../Clock.js";
import { PimsError } from "../core/PimsError.js";
import { byIds } from "../db/byIds.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { DatabaseSchema } from "../db/schema.js";

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

  /** The trusted numbers of some accounts (E.164), by account id. */
  ofAccounts(accountIds: readonly string[]): Promise<Map<string, string>> {
    return byIds(
      accountIds,
      (ids) =>
        this.db
          .selectFrom("trusted_phones")
          .select(["account_id", "phone_e164"])
          .where("account_id", "in", ids)
          .execute(),
      (row) => [row.account_id, row.phone_e164],
    );
  }

  /**
   * Ids of the accounts whose number matches `query`, when it looks like one: as S3 returns it
   * (`0612345678`, read in `region`) or in E.164, the masked form the admin API shows
   * (`+336•••••678`), or the last digits (3 or more, what the masked form shows). None otherwise.
   * Newest accounts first.
   */
  async search(query: string, region: string, limit: number): Promise<string[]> {
    const compact = query.replace(/[\s().-]/g, "");
    const masked = /^(\+?[0-9]*)(•+)([0-9]+)$/.exec(compact);
    let patterns: string[] = [];
    let exact: string | undefined;
    if (masked) {
      const [, head = "", bullets = "", tail = ""] = masked;
      patterns = [`${head}${"_".repeat(bullets.length)}${tail}`];
    } else if (/^\+?[0-9]{3,}$/.test(compact)) {
      patterns = [`%${compact.replace("+", "")}`];
      const parsed = compact.length >= 6 ? parsePhoneNumberFromString(compact, region as never) : undefined;
      if (parsed?.isPossible()) exact = parsed.number;
    }
    if (patterns.length === 0) return [];
    const rows = await this.db
      .selectFrom("trusted_phones")
      .select("account_id")
      .where((eb) =>
        eb.or([
          ...patterns.map((pattern) => eb("phone_e164", "like", pattern)),
          ...(exact === undefined ? [] : [eb("phone_e164", "=", exact)]),
        ]),
      )
      // Newest accounts first, as the admin API lists them: an account id begins with its creation
      // time (randomId), so the limit keeps the newest matches, not whichever the engine reads first.
      .orderBy("account_id", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => row.account_id);
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
