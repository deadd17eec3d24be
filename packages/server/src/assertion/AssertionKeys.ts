import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { AssertionJwk } from "@pims/protocol";
import { type Kysely, sql } from "kysely";
import type { Clock } from "../Clock.js";
import type { Keyring } from "../crypto/Keyring.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { DatabaseSchema } from "../db/schema.js";
import { jwkThumbprint } from "./jwkThumbprint.js";

/** How long a relying party may cache the JWK Set (`Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;
/** How long a process reuses the signing key it read: a rotation elsewhere reaches it within this. */
const SIGNING_KEY_REUSE_MS = 5_000;
/** The keyring purpose the private keys are sealed under. */
const PURPOSE = "assertion-key";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface Rotation {
  /** The key that signs from now on. */
  readonly kid: string;
  /** The key published ahead of the next rotation. */
  readonly next: string;
  /** The key that signed until now: published for the overlap. */
  readonly retired: string | undefined;
}

/**
 * The ES256 keys of step-up assertions, in `assertion_keys`. One key is active and signs; the next
 * one is already published, so that a relying party's cached JWK Set holds it when its turn comes.
 * A rotation retires the active key, activates the next and makes a new next; the retired key stays
 * published for the overlap (an assertion's lifetime, plus the JWK Set's cache time, plus a minute
 * for clocks and for processes still signing with it), then leaves the JWK Set and the table.
 * Private keys are generated here, sealed under the keyring, and never leave the process.
 */
export class AssertionKeys {
  #signing: { key: SigningKey; until: number } | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    /** An assertion's lifetime: the overlap is derived from it. */
    private readonly ttlSeconds: number,
  ) {}

  /** How long a retired key stays published, in milliseconds. */
  get overlapMs(): number {
    return (this.ttlSeconds + JWKS_MAX_AGE_SECONDS + 60) * 1000;
  }

  /** Makes the active and the next key when missing; safe when several processes start at once. */
  async ensureActive(): Promise<void> {
    const present = new Set((await this.#slots()).map((row) => row.slot));
    for (const slot of ["active", "next"] as const) {
      if (present.has(slot)) continue;
      await this.db
        .insertInto("assertion_keys")
        .values(this.#newKey(slot))
        .onConflict((conflict) => conflict.column("slot").doNothing())
        .execute();
    }
  }

  /** Retires the active key, activates the next one and publishes a new next. */
  async rotate(): Promise<Rotation> {
    let rotation: Rotation;
    try {
      rotation = await this.#rotateOnce();
    } catch (error) {
      // Another process rotated at the same moment: its new key holds the slot; rotate after it.
      if (!isUniqueViolation(error)) throw error;
      rotation = await this.#rotateOnce();
    }
    this.#signing = undefined;
    return rotation;
  }

  /** The active key, opened. A key sealed under a secret no longer held is rotated away. */
  async signingKey(): Promise<SigningKey> {
    const now = this.clock.now();
    if (this.#signing && this.#signing.until > now) return this.#signing.key;
    let row = await this.#activeRow();
    if (!row) {
      await this.ensureActive();
      row = await this.#activeRow();
    }
    if (!row) throw new Error("no active assertion key");
    const key = this.#signing?.key.kid === row.kid ? this.#signing.key : this.#open(row);
    if (!key) {
      await this.rotate();
      return this.signingKey();
    }
    this.#signing = { key, until: now + SIGNING_KEY_REUSE_MS };
    return key;
  }

  /** The JWK Set: the active key, the next one, then those retired within the overlap, latest first. */
  async published(): Promise<AssertionJwk[]> {
    const rows = await this.db
      .selectFrom("assertion_keys")
      .select(["kid", "public_jwk"])
      .where((eb) => eb.or([eb("slot", "is not", null), eb("retired_at", ">", this.clock.now() - this.overlapMs)]))
      .orderBy(sql`case slot when 'active' then 0 when 'next' then 1 else 2 end`)
      .orderBy("retired_at", "desc")
      .execute();
    return rows.map((row) => {
      const { x, y } = JSON.parse(row.public_jwk) as { x: string; y: string };
      return { kid: row.kid, kty: "EC", crv: "P-256", x, y, alg: "ES256", use: "sig" };
    });
  }

  /** Deletes the keys retired before the overlap (they no longer verify anything live). */
  async purgeRetired(): Promise<void> {
    await this.db
      .deleteFrom("assertion_keys")
      .where("retired_at", "<=", this.clock.now() - this.overlapMs)
      .execute();
  }

  #rotateOnce(): Promise<Rotation> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const retired = await trx
        .updateTable("assertion_keys")
        .set({ slot: null, retired_at: now })
        .where("slot", "=", "active")
        .returning("kid")
        .executeTakeFirst();
      let active = await trx
        .updateTable("assertion_keys")
        .set({ slot: "active", activated_at: now })
        .where("slot", "=", "next")
        .returning("kid")
        .executeTakeFirst();
      if (!active) {
        const fresh = this.#newKey("active");
        await trx.insertInto("assertion_keys").values(fresh).execute();
        active = { kid: fresh.kid };
      }
      const next = this.#newKey("next");
      await trx.insertInto("assertion_keys").values(next).execute();
      return { kid: active.kid, next: next.kid, retired: retired?.kid };
    });
  }

  #slots() {
    return this.db.selectFrom("assertion_keys").select(["slot"]).where("slot", "is not", null).execute();
  }

  #activeRow() {
    return this.db
      .selectFrom("assertion_keys")
      .select(["kid", "key_id", "sealed_private_key"])
      .where("slot", "=", "active")
      .executeTakeFirst();
  }

  #open(row: { kid: string; key_id: string; sealed_private_key: string }): SigningKey | undefined {
    const der = this.keyring.open(PURPOSE, row.sealed_private_key, row.kid, row.key_id);
    if (!der) return undefined;
    return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
  }

  #newKey(slot: "active" | "next") {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { x, y } = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    const kid = jwkThumbprint({ x, y });
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const now = this.clock.now();
    return {
      kid,
      public_jwk: JSON.stringify({ kty: "EC", crv: "P-256", x, y }),
      key_id: this.keyring.currentId,
      sealed_private_key: this.keyring.seal(PURPOSE, der, kid),
      created_at: now,
      activated_at: slot === "active" ? now : null,
      retired_at: null,
      slot,
    };
  }
}
