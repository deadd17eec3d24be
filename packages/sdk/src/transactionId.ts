/**
 * A unique transaction id: a random UUID (version 4) from the given or the platform's CSPRNG, with
 * a non-cryptographic fallback for runtimes without one (ids need to be unique, not secret).
 */
export function newTransactionId(
  crypto: { getRandomValues?: (array: Uint8Array) => unknown } | undefined = globalThis.crypto,
): string {
  const bytes = new Uint8Array(16);
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
