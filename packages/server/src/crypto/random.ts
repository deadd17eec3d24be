import { createHash, randomBytes, randomFillSync, randomInt } from "node:crypto";

/**
 * A bearer secret with a recognizable prefix (so secret scanners can spot leaks), 256 random bits.
 *
 * @example
 * randomToken("pat") // "pat_3q2…"
 */
export function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/**
 * CSPRNG bytes for identifiers, drawn 4 KiB at a time: one system call for 409 ids instead of one
 * each (a verification writes one or two ids, S15 three; issue 14). Identifiers only, which are not
 * secrets; tokens and OTP digits draw their own.
 */
const idBytes = Buffer.alloc(4096);
let idOffset = idBytes.length;

/** A unique identifier that sorts by creation time: prefix, time in base 36, 80 random bits. */
export function randomId(prefix: string, now: number = Date.now()): string {
  if (idOffset + 10 > idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  const bits = idBytes.toString("base64url", idOffset, idOffset + 10);
  idOffset += 10;
  return `${prefix}_${now.toString(36).padStart(9, "0")}${bits}`;
}

/** `length` decimal digits from the CSPRNG, each uniform. */
export function randomDigits(length: number): string {
  let digits = "";
  for (let i = 0; i < length; i++) digits += String(randomInt(10));
  return digits;
}

/** SHA-256 of a high-entropy secret (tokens, keys), hex. Low-entropy secrets use the keyring's HMAC. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** SHA-256 of the UTF-8 of `text`, base64url: a context's or a transaction's digest. */
export function sha256Base64Url(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64url");
}
