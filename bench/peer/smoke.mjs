// Smoke test of a running peer: node bench/peer/smoke.mjs <peer-url> [n]
import { totp } from "./totp.mjs";

const base = process.argv[2];
const n = Number(process.argv[3] ?? 50);
const t0 = Date.now();
const fx = await (await fetch(`${base}/bench/fixtures?n=${n}`)).json();
console.log(
  `fixtures: n=${fx.cookies.length} in ${Date.now() - t0} ms (server ${fx.preparedMs} ms); secret=${fx.secret.slice(0, 6)}...; cookie[0]=${fx.cookies[0].slice(0, 40)}...`,
);

async function verify(label, { cookie, code, origin = base }) {
  const headers = { "content-type": "application/json" };
  if (origin) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  const res = await fetch(fx.verify.url, { method: "POST", headers, body: JSON.stringify({ code }) });
  const body = await res.text();
  const setCookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0].split("=")[0] + (/max-age=0/i.test(c) ? "(expired)" : ""));
  console.log(
    `${label}: ${res.status} ${body.length > 160 ? body.slice(0, 160) + "..." : body}  set-cookie=[${setCookie.join(", ")}]`,
  );
  return res.status;
}
const good = () => totp(fx.secret, Date.now());
const bad = () => String((Number(good()) + 1) % 1e6).padStart(6, "0");
const c = fx.cookies;
await verify("valid code, challenge 0", { cookie: c[0], code: good() });
await verify("valid code, challenge 0 again", { cookie: c[0], code: good() });
await verify("valid code, challenge 1", { cookie: c[1], code: good() });
await verify("valid code, challenge 2", { cookie: c[2], code: good() });
await verify("invalid code, challenge 3", { cookie: c[3], code: bad() });
await verify("valid code, challenge 3 after a miss", { cookie: c[3], code: good() });
await verify("valid code, challenge 4, no Origin", { cookie: c[4], code: good(), origin: null });
await verify("valid code, challenge 4, foreign Origin", { cookie: c[4], code: good(), origin: "http://evil.test" });
await verify("valid code, challenge 4", { cookie: c[4], code: good() });
await verify("valid code, no cookie", { code: good() });
await verify("previous-step code, challenge 5", { cookie: c[5], code: totp(fx.secret, Date.now() - 30_000) });
await verify("next-step code, challenge 6", { cookie: c[6], code: totp(fx.secret, Date.now() + 30_000) });
await verify("code 2 steps old, challenge 7", { cookie: c[7], code: totp(fx.secret, Date.now() - 60_000) });
