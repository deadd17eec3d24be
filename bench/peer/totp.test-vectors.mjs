// Checks totp.mjs against RFC 6238 Appendix B (SHA-1 rows).
// The RFC prints 8-digit codes; a 6-digit code is the last 6 digits of the same value.
import { base32Encode, hotp, totp } from "./totp.mjs";

const key = Buffer.from("12345678901234567890", "ascii");
const secret = base32Encode(key); // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
const vectors = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];
let passed = 0;
let failed = 0;
for (const [t, expected8] of vectors) {
  const got8 = hotp(key, Math.floor(t / 30), 8);
  const got6 = totp(secret, t * 1000);
  const ok = got8 === expected8 && got6 === expected8.slice(2);
  ok ? passed++ : failed++;
  console.log(
    `${ok ? "ok  " : "FAIL"} T=${t} 8-digit=${got8} (want ${expected8}) 6-digit=${got6} (want ${expected8.slice(2)})`,
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
