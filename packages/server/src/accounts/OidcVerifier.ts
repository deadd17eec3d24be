import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { Accounts } from "./Accounts.js";

export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string | undefined;
}

const ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];

/**
 * Accepts bearer JWTs of one OpenID Connect issuer: signature checked against the issuer's JWKS
 * (discovered from `/.well-known/openid-configuration` unless configured), issuer, audience,
 * expiry (30 s tolerance) and an asymmetric algorithm. `sub` maps to an account created on
 * first use.
 */
export class OidcVerifier {
  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly accounts: Accounts,
  ) {}

  /** The account of a valid token, or `undefined`. */
  async authenticate(
    token: string,
  ): Promise<{ accountId: string; login: string; authenticatedAt: number | undefined } | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.#keys(), {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: 30,
        currentDate: new Date(this.clock.now()),
      }));
    } catch {
      return undefined;
    }
    if (typeof payload.sub !== "string" || payload.sub === "" || payload.sub.length > 255) return undefined;
    const account = await this.#accountFor(payload.sub, displayName(payload));
    // OpenID Connect's auth_time is when the user last authenticated at the issuer.
    const authTime = typeof payload.auth_time === "number" ? payload.auth_time : undefined;
    return account && { ...account, authenticatedAt: authTime === undefined ? undefined : authTime * 1000 };
  }

  async #keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.#jwks) return this.#jwks;
    const url = this.settings.jwksUrl ?? (await this.#discoverJwksUrl());
    this.#jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    return this.#jwks;
  }

  async #discoverJwksUrl(): Promise<string> {
    const response = await fetch(`${this.settings.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(5_000),
    });
    const document = (await response.json()) as { jwks_uri?: unknown };
    if (typeof document.jwks_uri !== "string") throw new Error("issuer discovery document has no jwks_uri");
    return document.jwks_uri;
  }

  async #accountFor(subject: string, login: string): Promise<{ accountId: string; login: string }> {
    const issuer = this.settings.issuer;
    const find = () =>
      this.db
        .selectFrom("external_identities")
        .innerJoin("accounts", "accounts.id", "external_identities.account_id")
        .select(["accounts.id as accountId", "accounts.login as login"])
        .where("external_identities.issuer", "=", issuer)
        .where("external_identities.subject", "=", subject)
        .executeTakeFirst();
    const existing = await find();
    if (existing) return existing;
    try {
      await this.db.transaction().execute(async (trx) => {
        // An external account: no login key, no password (it authenticates at the issuer).
        const account = await this.accounts.create(login, null, trx);
        if (!account) throw new Error("external account not created");
        await trx
          .insertInto("external_identities")
          .values({ issuer, subject, account_id: account.id, created_at: this.clock.now() })
          .execute();
      });
    } catch (error) {
      // Two first uses raced: the other one created the account.
      if (!isUniqueViolation(error)) throw error;
    }
    const created = await find();
    if (!created) throw new Error("external identity vanished");
    return created;
  }
}

function displayName(payload: JWTPayload): string {
  for (const claim of ["preferred_username", "email"]) {
    const value = payload[claim];
    if (typeof value === "string" && value !== "" && value.length <= 254) return value;
  }
  return payload.sub as string;
}
