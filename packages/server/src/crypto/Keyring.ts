import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { ConfigError } from "../config/ConfigError.js";

/**
 * The server's secret keys: `PIMS_SECRET_KEY` (current) and former ones still accepted during a
 * rotation. Secrets stored in the database are only ever HMACs or ciphertexts under keys derived
 * from these, so a copy of the database alone confirms no PIN, SMS code or OTP guess
 * (design property 1; docs/decisions/0004-pin-verifier.md).
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #derived = new Map<string, Buffer>();
  /** Id of the current key, stored next to what it protects. */
  readonly currentId: string;

  private constructor(current: Buffer, previous: readonly Buffer[]) {
    const keys = new Map<string, Buffer>();
    this.currentId = keyId(current);
    keys.set(this.currentId, current);
    for (const key of previous) keys.set(keyId(key), key);
    this.#keys = keys;
  }

  /** Builds the keyring from encoded keys (64 hex digits, or base64/base64url of ≥ 32 bytes). */
  static fromSecrets(current: string, previous: readonly string[] = []): Keyring {
    return new Keyring(
      decodeKey(current, "PIMS_SECRET_KEY"),
      previous.map((k) => decodeKey(k, "PIMS_SECRET_KEY_PREVIOUS")),
    );
  }

  /** Ids of every key held, the current one first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** True when data protected under `id` can still be read. */
  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /**
   * HMAC-SHA256 of `data` under the key derived for `purpose`, base64url.
   *
   * @example
   * keyring.hmac("sms-code", `${accountId}|${purpose}|${phone}|${code}`)
   */
  hmac(purpose: string, data: string, id: string = this.currentId): string {
    return createHmac("sha256", this.#subkey(purpose, id)).update(data, "utf8").digest("base64url");
  }

  /** AES-256-GCM under the key derived for `purpose`; `aad` binds the ciphertext to its row. */
  seal(purpose: string, plaintext: Uint8Array, aad: string, id: string = this.currentId): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#subkey(purpose, id), iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [iv, body, cipher.getAuthTag()].map((part) => part.toString("base64url")).join(".");
  }

  /** Opens what {@link seal} made; `undefined` when the key, the AAD or the bytes do not match. */
  open(purpose: string, sealed: string, aad: string, id: string): Buffer | undefined {
    if (!this.#keys.has(id)) return undefined;
    const [iv, body, tag] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
    if (!iv || !body || !tag || iv.length !== 12 || tag.length !== 16) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#subkey(purpose, id), iv);
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  #subkey(purpose: string, id: string): Buffer {
    const cacheKey = `${id}/${purpose}`;
    let subkey = this.#derived.get(cacheKey);
    if (!subkey) {
      const key = this.#keys.get(id);
      if (!key) throw new Error("unknown key id");
      subkey = Buffer.from(hkdfSync("sha256", key, "pims", `pims/${purpose}/v1`, 32));
      this.#derived.set(cacheKey, subkey);
    }
    return subkey;
  }
}

function keyId(key: Buffer): string {
  return createHash("sha256").update("pims/key-id").update(key).digest("hex").slice(0, 16);
}

function decodeKey(encoded: string, name: string): Buffer {
  const text = encoded.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64url");
  if (key.length < 32 || !/^[A-Za-z0-9+/=_-]+$/.test(text)) {
    throw new ConfigError(
      `${name} must be at least 32 random bytes, as 64 hex digits or base64 (see \`pims secret generate\`)`,
    );
  }
  return key;
}
