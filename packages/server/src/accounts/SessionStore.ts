import type { SessionTokens } from "@pims/protocol";
import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId, randomToken, sha256Hex } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";

export interface SessionSettings {
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

/** Who a valid access token belongs to. */
export interface SessionPrincipal {
  readonly accountId: string;
  readonly login: string;
  readonly sessionId: string;
}

/**
 * Opaque bearer tokens: 256 random bits each, stored only as SHA-256 digests. Access tokens live
 * minutes; refresh tokens rotate on each use, and presenting a replaced one revokes the session
 * (it was copied). Logout revokes at once.
 */
export class SessionStore {
  // Compiled once (db/Prepared.ts): every authenticated request looks its session up.
  readonly #byAccessHash;
  readonly #account;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {
    this.#byAccessHash = prepare(
      db
        .selectFrom("sessions")
        .innerJoin("accounts", "accounts.id", "sessions.account_id")
        .select(["sessions.id as sessionId", "accounts.id as accountId", "accounts.login as login"])
        .where("sessions.access_hash", "=", param<string>("hash"))
        .where("sessions.revoked_at", "is", null)
        .where("sessions.access_expires_at", ">", param<number>("now")),
    );
    this.#account = prepare(
      db.selectFrom("accounts").select(["id as accountId", "login"]).where("id", "=", param<string>("id")),
    );
  }

  async open(account: { id: string; login: string }, db: Kysely<DatabaseSchema> = this.db): Promise<SessionTokens> {
    const now = this.clock.now();
    const accessToken = randomToken("pat");
    const refreshToken = randomToken("prt");
    await db
      .insertInto("sessions")
      .values({
        id: randomId("ses", now),
        account_id: account.id,
        access_hash: sha256Hex(accessToken),
        access_expires_at: now + this.settings.accessTokenTtlSeconds * 1000,
        refresh_hash: sha256Hex(refreshToken),
        previous_refresh_hash: null,
        refresh_expires_at: now + this.settings.refreshTokenTtlSeconds * 1000,
        created_at: now,
        revoked_at: null,
      })
      .execute();
    return {
      accessToken,
      refreshToken,
      expiresIn: this.settings.accessTokenTtlSeconds,
      username: account.login,
      accountId: account.id,
    };
  }

  async authenticate(accessToken: string): Promise<SessionPrincipal | undefined> {
    return this.#byAccessHash.first(this.db, { hash: sha256Hex(accessToken), now: this.clock.now() });
  }

  /** The id and login of an account (a relying party names it by id), or `undefined`. */
  account(accountId: string): Promise<{ accountId: string; login: string } | undefined> {
    return this.#account.first(this.db, { id: accountId });
  }

  /** New tokens for a valid refresh token; `undefined` otherwise (and a reused one revokes its session). */
  async rotate(refreshToken: string): Promise<SessionTokens | undefined> {
    const now = this.clock.now();
    const presented = sha256Hex(refreshToken);
    const accessToken = randomToken("pat");
    const nextRefresh = randomToken("prt");
    const row = await this.db
      .updateTable("sessions")
      .set((eb) => ({
        access_hash: sha256Hex(accessToken),
        access_expires_at: now + this.settings.accessTokenTtlSeconds * 1000,
        previous_refresh_hash: eb.ref("refresh_hash"),
        refresh_hash: sha256Hex(nextRefresh),
      }))
      .where("refresh_hash", "=", presented)
      .where("revoked_at", "is", null)
      .where("refresh_expires_at", ">", now)
      .returning("account_id")
      .executeTakeFirst();
    if (!row) {
      await this.db
        .updateTable("sessions")
        .set({ revoked_at: now })
        .where("previous_refresh_hash", "=", presented)
        .where("revoked_at", "is", null)
        .execute();
      return undefined;
    }
    const account = await this.db
      .selectFrom("accounts")
      .select("login")
      .where("id", "=", row.account_id)
      .executeTakeFirstOrThrow();
    return {
      accessToken,
      refreshToken: nextRefresh,
      expiresIn: this.settings.accessTokenTtlSeconds,
      username: account.login,
      accountId: row.account_id,
    };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db
      .updateTable("sessions")
      .set({ revoked_at: this.clock.now() })
      .where("id", "=", sessionId)
      .where("revoked_at", "is", null)
      .execute();
  }

  /** Deletes sessions whose refresh token expired more than a day ago. */
  async purgeExpired(): Promise<number> {
    const result = await this.db
      .deleteFrom("sessions")
      .where("refresh_expires_at", "<", this.clock.now() - 86_400_000)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
