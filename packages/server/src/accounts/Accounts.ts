import { type Expression, type Kysely, type QueryCreator, sql } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId } from "../crypto/random.js";
import { byIds } from "../db/byIds.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { Engine } from "../db/openDatabase.js";
import { type Prepared, param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import { loginKey } from "./loginKey.js";

/** An account as the accounts capability keeps it (no secret). */
export interface AccountRecord {
  readonly id: string;
  readonly login: string;
  readonly createdAt: number;
}

/**
 * The `accounts` table's owner: built-in and external accounts, their logins and password hashes,
 * and the account row lock. The columns other capabilities add to the row (`pin_failures`,
 * `active_devices`) are theirs (docs/architecture.md).
 */
export class Accounts {
  // Compiled once (db/Prepared.ts), at its first use (only PostgreSQL takes the lock).
  #lockRow: Prepared<{ id: string; login: string }> | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly engine: Engine,
  ) {}

  /** The built-in account of a login (compared by {@link loginKey}), with its password hash. */
  withLogin(login: string): Promise<{ id: string; login: string; passwordHash: string | null } | undefined> {
    return this.db
      .selectFrom("accounts")
      .select(["id", "login", "password_hash as passwordHash"])
      .where("login_key", "=", loginKey(login))
      .executeTakeFirst();
  }

  /**
   * Creates an account, in `db` (a transaction) when given: a built-in one with its password hash,
   * or an external one (`passwordHash` null: no login key, it authenticates elsewhere).
   * `undefined` when the built-in login is taken.
   */
  async create(
    login: string,
    passwordHash: string | null,
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<{ id: string; login: string } | undefined> {
    const now = this.clock.now();
    const id = randomId("acc", now);
    try {
      await db
        .insertInto("accounts")
        .values({
          id,
          login,
          login_key: passwordHash === null ? null : loginKey(login),
          password_hash: passwordHash,
          created_at: now,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return { id, login };
  }

  /** Accounts by id, in no particular order; unknown ids are left out. */
  async withIds(ids: readonly string[]): Promise<AccountRecord[]> {
    const found = await byIds(
      ids,
      (list) => this.db.selectFrom("accounts").select(["id", "login", "created_at"]).where("id", "in", list).execute(),
      (row) => [row.id, { id: row.id, login: row.login, createdAt: Number(row.created_at) }],
    );
    return [...found.values()];
  }

  /** Ids of the accounts whose id is `query` or whose login contains it (any case), newest first. */
  async search(query: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("accounts")
      .select("id")
      .where((eb) =>
        eb.or([
          eb("id", "=", query),
          like("login_key", `%${escapeLike(query.toLowerCase())}%`),
          like("login", `%${escapeLike(query)}%`),
        ]),
      )
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Takes the account row's lock for the rest of the transaction `trx`, changing nothing, so that
   * the transactions of one account that call it, or that update the row (an S15 PIN attempt holds
   * it from its attempt to the commit of its OTP), run one after the other. On PostgreSQL a
   * `FOR NO KEY UPDATE` row lock (the lock an UPDATE of the row takes); on SQLite nothing: its write
   * transactions (`BEGIN IMMEDIATE`) already run one at a time.
   */
  async lockRow(accountId: string, trx: Kysely<DatabaseSchema>): Promise<void> {
    if (this.engine !== "postgres") return;
    this.#lockRow ??= prepare(Accounts.lockedRow(this.db, param<string>("id")));
    await this.#lockRow.execute(trx, { id: accountId });
  }

  /**
   * The account's id and login with {@link lockRow}'s lock, as a part of a composed statement (a
   * common table expression of the verification's single statement on PostgreSQL, issue 14): the
   * lock is held by the statement's transaction, taken before anything the statement changes.
   */
  static lockedRow(db: QueryCreator<DatabaseSchema>, accountId: string) {
    return db.selectFrom("accounts").select(["id", "login"]).where("id", "=", accountId).forNoKeyUpdate();
  }

  /**
   * The rows of `accountIds` (an array of ids, e.g. a parameter) with {@link lockedRow}'s lock, for
   * those no other transaction holds (SKIP LOCKED); the others give no row. For a composed statement
   * whose other parts must not read past a wait: a statement's snapshot is taken when it starts, so
   * one that waited on the lock would read, besides the rows it locks or changes, the database as it
   * was before the holder committed (PostgreSQL's READ COMMITTED).
   */
  static lockedRowsIfFree(db: QueryCreator<DatabaseSchema>, accountIds: Expression<readonly string[]>) {
    return db
      .selectFrom("accounts")
      .select(["id", "login"])
      .where("id", "=", sql<string>`any(${accountIds})`)
      .forNoKeyUpdate()
      .skipLocked();
  }
}

/** `column LIKE pattern` with `\` as the escape character, on both engines (SQLite has no default). */
export function like(column: string, pattern: string) {
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

/** `text` with the LIKE wildcards (and the escape character) escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
