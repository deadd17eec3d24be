import { isIPv6 } from "node:net";

/**
 * The part of a client address a per-address limit counts: an IPv4 address whole, an IPv6 address
 * by its first `ipv6PrefixLength` bits (a /64 by default: one subscriber usually holds a whole
 * /64, so keying the exact address would give them 2^64 budgets). IPv4-mapped IPv6 addresses
 * count as the IPv4 address they carry.
 *
 * @example
 * addressKey("2001:db8:1:2:aaaa::1", 64) // "2001:db8:1:2::/64"
 */
export function addressKey(address: string, ipv6PrefixLength: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const words = expand(address);
  const bits = Math.max(0, Math.min(128, ipv6PrefixLength));
  const kept = words.map((word, i) => {
    const from = i * 16;
    if (bits >= from + 16) return word;
    if (bits <= from) return 0;
    return word & (0xffff << (16 - (bits - from))) & 0xffff;
  });
  return `${compress(kept)}/${bits}`;
}

/** The eight 16-bit words of an IPv6 address (zone and embedded IPv4 handled). */
function expand(address: string): number[] {
  let text = address.split("%")[0] as string;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((word) => Number.parseInt(word, 16));
}

function compress(words: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
