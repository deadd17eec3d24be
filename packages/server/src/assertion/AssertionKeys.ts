import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { AssertionJwk } from "@pims/protocol";
import type { Kysely } from "kysely";
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

/**
 * The ES256 keys of step-up assertions, in `assertion_keys`. One key is active and signs; a
 * rotation makes a new one active and retires the other, which stays published for the overlap
 * (an assertion's lifetime, plus the JWK Set's cache time, plus a minute for clocks and processes
 * still signing with it), then leaves the JWK Set and the table. The private key is generated
 * here, sealed under the keyring, and never leaves the process.
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

  /** Makes the first key when there is no active one; safe when several processes start at once. */
  async ensureActive(): Promise<void> {
    if (await this.#activeRow()) return;
    await this.db
      .insertInto("assertion_keys")
      .values(this.#newKey())
      .onConflict((conflict) => conflict.column("active").doNothing())
      .execute();
  }

  /** Retires the active key and activates a new one; answers both kids. */
  async rotate(): Promise<{ kid: string; retired: string | undefined }> {
    const attempt = () =>
      this.db.transaction().execute(async (trx) => {
        const retired = await trx
          .updateTable("assertion_keys")
          .set({ active: null, retired_at: this.clock.now() })
          .where("active", "=", 1)
          .returning("kid")
          .executeTakeFirst();
        const fresh = this.#newKey();
        await trx.insertInto("assertion_keys").values(fresh).execute();
        return { kid: fresh.kid, retired: retired?.kid };
      });
    let rotated: { kid: string; retired: string | undefined };
    try {
      rotated = await attempt();
    } catch (error) {
      // Another process rotated at the same moment: its new key holds the slot; retire it in turn.
      if (!isUniqueViolation(error)) throw error;
      rotated = await attempt();
    }
    this.#signing = undefined;
    return rotated;
  }

  /** The active key, opened. A key sealed under a secret no longer held is replaced by a new one. */
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

  /** The JWK Set: the active key and those retired within the overlap, newest first. */
  async published(): Promise<AssertionJwk[]> {
    const rows = await this.db
      .selectFrom("assertion_keys")
      .select(["kid", "public_jwk"])
      .where((eb) => eb.or([eb("retired_at", "is", null), eb("retired_at", ">", this.clock.now() - this.overlapMs)]))
      .orderBy("activated_at", "desc")
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

  #activeRow() {
    return this.db
      .selectFrom("assertion_keys")
      .select(["kid", "key_id", "sealed_private_key"])
      .where("active", "=", 1)
      .executeTakeFirst();
  }

  #open(row: { kid: string; key_id: string; sealed_private_key: string }): SigningKey | undefined {
    const der = this.keyring.open(PURPOSE, row.sealed_private_key, row.kid, row.key_id);
    if (!der) return undefined;
    return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
  }

  #newKey() {
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
      activated_at: now,
      retired_at: null,
      active: 1,
    };
  }
}
