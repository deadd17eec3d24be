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
  /** When the session was opened by a login (refreshes keep it), epoch ms. */
  readonly authenticatedAt: number;
}

/**
 * Opaque bearer tokens: 256 random bits each, stored only as SHA-256 digests. Access tokens live
 * minutes; refresh tokens rotate on each use, and presenting any replaced one of the session's
 * family revokes the session (it was copied). Logout revokes at once.
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
        .select([
          "sessions.id as sessionId",
          "accounts.id as accountId",
          "accounts.login as login",
          "sessions.created_at as authenticatedAt",
        ])
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
    const row = await this.#byAccessHash.first(this.db, { hash: sha256Hex(accessToken), now: this.clock.now() });
    return row && { ...row, authenticatedAt: Number(row.authenticatedAt) };
  }

  /** The id and login of an account (a relying party names it by id), or `undefined`. */
  account(accountId: string): Promise<{ accountId: string; login: string } | undefined> {
    return this.#account.first(this.db, { id: accountId });
  }

  /**
   * New tokens for a valid refresh token; `undefined` otherwise. The session is the token family
   * (OAuth 2.0 Security BCP §4.14.2): each rotation retires the presented token, and presenting
   * any retired token of the family again — however many rotations ago — revokes the session, so
   * a thief who refreshed ahead of the victim loses the session as soon as the victim's client
   * presents its older token.
   */
  async rotate(refreshToken: string): Promise<SessionTokens | undefined> {
    const now = this.clock.now();
    const presented = sha256Hex(refreshToken);
    const accessToken = randomToken("pat");
    const nextRefresh = randomToken("prt");
    const row = await this.db.transaction().execute(async (trx) => {
      const rotated = await trx
        .updateTable("sessions")
        .set({
          access_hash: sha256Hex(accessToken),
          access_expires_at: now + this.settings.accessTokenTtlSeconds * 1000,
          refresh_hash: sha256Hex(nextRefresh),
        })
        .where("refresh_hash", "=", presented)
        .where("revoked_at", "is", null)
        .where("refresh_expires_at", ">", now)
        .returning(["id", "account_id"])
        .executeTakeFirst();
      if (rotated) {
        await trx
          .insertInto("retired_refresh_tokens")
          .values({ refresh_hash: presented, session_id: rotated.id, retired_at: now })
          .execute();
        return rotated;
      }
      const family = await trx
        .selectFrom("retired_refresh_tokens")
        .select("session_id")
        .where("refresh_hash", "=", presented)
        .executeTakeFirst();
      if (family) {
        await trx
          .updateTable("sessions")
          .set({ revoked_at: now })
          .where("id", "=", family.session_id)
          .where("revoked_at", "is", null)
          .execute();
      }
      return undefined;
    });
    if (!row) return undefined;
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
