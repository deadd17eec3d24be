import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { PinSettings } from "../config/Config.js";
import type { DatabaseSchema } from "../db/schema.js";

/** What an administrator sees of an account: no secret, the phone number partly masked. */
export interface AccountSummary {
  readonly id: string;
  readonly login: string;
  readonly createdAt: number;
  readonly phone: string | null;
  readonly hasPin: boolean;
  readonly pinFailures: number;
  readonly blocked: boolean;
  readonly activeDevices: number;
}

/** Read-side queries of the admin API. */
export class AdminQueries {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly pin: PinSettings,
    /** The region national numbers are read in (`PIMS_DEFAULT_REGION`), as S3 displays them. */
    private readonly defaultRegion = "FR",
  ) {}

  /**
   * Accounts whose id is `query`, whose login contains it, or whose trusted number matches it: a
   * number as S3 returns it (`0612345678`) or in E.164, the masked form this API returns
   * (`+336•••••678`), or the last digits (3 or more, what the masked form shows).
   */
  async findAccounts(query: string, limit = 50): Promise<AccountSummary[]> {
    const rows = await this.#summaries()
      .where((eb) =>
        eb.or([
          eb("accounts.id", "=", query),
          like("accounts.login_key", `%${escapeLike(query.toLowerCase())}%`),
          like("accounts.login", `%${escapeLike(query)}%`),
          ...phoneMatches(eb, query, this.defaultRegion),
        ]),
      )
      .orderBy("accounts.created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => this.#summary(row));
  }

  async account(id: string): Promise<AccountSummary | undefined> {
    const row = await this.#summaries().where("accounts.id", "=", id).executeTakeFirst();
    return row ? this.#summary(row) : undefined;
  }

  devices(accountId: string) {
    return this.db
      .selectFrom("devices")
      .select(["id", "status", "created_at", "enrolled_at", "removed_at"])
      .where("account_id", "=", accountId)
      .orderBy("created_at")
      .execute();
  }

  audit(accountId: string, limit = 200) {
    return this.db
      .selectFrom("audit_events")
      .select(["id", "at", "event", "outcome", "device_id", "client_address", "detail"])
      .where("account_id", "=", accountId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }

  #summaries() {
    return this.db
      .selectFrom("accounts")
      .leftJoin("trusted_phones", "trusted_phones.account_id", "accounts.id")
      .leftJoin("pin_verifiers", "pin_verifiers.account_id", "accounts.id")
      .select([
        "accounts.id",
        "accounts.login",
        "accounts.created_at",
        "accounts.pin_failures",
        "accounts.active_devices",
        "trusted_phones.phone_e164",
        "pin_verifiers.account_id as pin_account",
      ]);
  }

  #summary(row: {
    id: string;
    login: string;
    created_at: number;
    pin_failures: number;
    active_devices: number;
    phone_e164: string | null;
    pin_account: string | null;
  }): AccountSummary {
    return {
      id: row.id,
      login: row.login,
      createdAt: Number(row.created_at),
      phone: row.phone_e164 === null ? null : maskPhone(row.phone_e164),
      hasPin: row.pin_account !== null,
      pinFailures: Number(row.pin_failures),
      blocked: Number(row.pin_failures) >= this.pin.maxFailures,
      activeDevices: Number(row.active_devices),
    };
  }
}

/** `+33612345678` → `+336•••••678`: enough to recognize, not enough to dial. */
export function maskPhone(e164: string): string {
  return e164.length <= 7 ? e164 : `${e164.slice(0, 4)}${"•".repeat(e164.length - 7)}${e164.slice(-3)}`;
}

/** Conditions on the trusted number for a query that looks like a number, none otherwise. */
function phoneMatches(
  eb: ExpressionBuilder<{ trusted_phones: { phone_e164: string } }, "trusted_phones">,
  query: string,
  region: string,
) {
  const compact = query.replace(/[\s().-]/g, "");
  const masked = /^(\+?[0-9]*)(•+)([0-9]+)$/.exec(compact);
  if (masked) {
    const [, head = "", bullets = "", tail = ""] = masked;
    return [eb("trusted_phones.phone_e164", "like", `${head}${"_".repeat(bullets.length)}${tail}`)];
  }
  if (!/^\+?[0-9]{3,}$/.test(compact)) return [];
  const parsed = compact.length >= 6 ? parsePhoneNumberFromString(compact, region as never) : undefined;
  return [
    eb("trusted_phones.phone_e164", "like", `%${compact.replace("+", "")}`),
    ...(parsed?.isPossible() ? [eb("trusted_phones.phone_e164", "=", parsed.number)] : []),
  ];
}

/** `column LIKE pattern` with `\` as the escape character, on both engines (SQLite has no default). */
function like(column: string, pattern: string) {
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
