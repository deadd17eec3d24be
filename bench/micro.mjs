// In-process micro-benchmark of the verification route, or of S15 (no sockets): CPU time per
// request, steadier than req/s on a shared machine. For development; `npm run bench` is the
// measurement.
//
//   node bench/micro.mjs [sqlite|postgres] [requests] [verify|s15]
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signingString } from "@pims/protocol";
import pg from "pg";
import { writeFixtures } from "./lib/fixtures.mjs";

// MICRO_SERVER: another build of the server to measure (e.g. the one before a change).
const { createPimsServer, loadConfig } = await import(process.env.MICRO_SERVER ?? "@pims/server");
const engine = process.argv[2] ?? "sqlite";
const N = Number(process.argv[3] ?? 20_000);
const SCENARIO = process.argv[4] ?? "verify";
const CONCURRENCY = 32;
const POSTGRES = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const dir = await mkdtemp(join(tmpdir(), "pims-micro-"));
const schema = engine === "postgres" ? `pims_micro_${randomBytes(4).toString("hex")}` : undefined;
const databaseUrl = engine === "postgres" ? POSTGRES : `sqlite:${join(dir, "micro.db")}`;
const secretKey = randomBytes(32).toString("base64url");
const server = await createPimsServer({
  config: loadConfig({
    PIMS_DATA_DIR: dir,
    PIMS_DATABASE_URL: databaseUrl,
    ...(schema ? { PIMS_DATABASE_SCHEMA: schema } : {}),
    PIMS_SECRET_KEY: secretKey,
    PIMS_BENCH_ROUTES: "true",
    PIMS_RP_MAX_PER_MINUTE: "100000000",
  }),
  logDestination: { write: () => true },
});
const perAccount = SCENARIO === "s15" ? 0 : Math.ceil((N + Number(process.env.MICRO_WARM ?? 1000)) / 2000) + 1;
const accounts = await writeFixtures({
  databaseUrl,
  schema,
  secretKey,
  accounts: 2000,
  otpsPerAccount: perAccount,
  withOtps: SCENARIO === "s15" ? 0 : 2000,
});
const otps = accounts[0].otps.flatMap((_, k) => accounts.map((a) => ({ otp: a.otps[k], account: a.id })));
const { key } = await server.services.relyingParties.create("micro");

async function run(label, n, request) {
  let i = 0;
  let ok = 0;
  const cpu = process.cpuUsage();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (i < n) {
        const response = await server.app.inject(request(i++));
        if (response.statusCode === 200 && !response.body.includes('"valid":false')) ok++;
        else if (process.env.MICRO_VERBOSE && ok === 0) console.log(response.statusCode, response.body);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t;
  if (process.env.MICRO_VERBOSE)
    console.log(
      `${label.padEnd(14)} ${((used.user + used.system) / n).toFixed(0).padStart(5)} µs CPU/request  ${((wall * 1000) / n).toFixed(0).padStart(5)} µs wall/request  ${ok} ok of ${n}`,
    );
  return (used.user + used.system) / n;
}
const noop = () => ({
  method: "POST",
  url: "/bench/noop",
  headers: { "content-type": "application/json" },
  payload: "{}",
});
const verify = (i) => ({
  method: "POST",
  url: "/v1/rp/verify",
  headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
  payload: JSON.stringify(otps[i]),
});

// S15: the first 64 fixture accounts each get a device enrolled with a P-256 key and a PIN, as an
// enrollment leaves them (through Pims' own capabilities); each request is signed as the SDK signs
// it (fresh nonce, the server's time), before its round is measured, so the signing is not counted.
const PIN = "48213579";
const devices = [];
if (SCENARIO === "s15") {
  const { services } = server;
  for (const account of accounts.slice(0, 64)) {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-65);
    const id = `dev_${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}`;
    await services.transaction((trx) => services.devices.activate(account.id, id, raw.toString("base64url"), trx));
    await services.pinVerifiers.set(account.id, PIN);
    devices.push({ account, id, privateKey });
  }
}
const s15Body = JSON.stringify({ pinCode: PIN });
const s15BodyDigest = createHash("sha256").update(s15Body).digest("base64url");
const s15 = (i) => {
  const { account, id, privateKey } = devices[i % devices.length];
  const timestamp = String(Date.now());
  const nonce = randomBytes(16).toString("base64url");
  const text = signingString({
    method: "POST",
    path: "/v1/otp/with-pin",
    timestamp,
    nonce,
    bodyDigest: s15BodyDigest,
    deviceId: id,
  });
  return {
    method: "POST",
    url: "/v1/otp/with-pin",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${account.accessToken}`,
      "pims-device": id,
      "pims-timestamp": timestamp,
      "pims-nonce": nonce,
      "pims-signature": sign("sha256", Buffer.from(text), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString(
        "base64url",
      ),
    },
    payload: s15Body,
  };
};
/** `count` requests of the scenario, built (signed) before they are measured. */
const requests = (count) => Array.from({ length: count }, (_, i) => (SCENARIO === "s15" ? s15(i) : undefined));

// MICRO_WARM: verifications before the measured ones (JIT); MICRO_NOOP: no-op requests measured.
const WARM = Number(process.env.MICRO_WARM ?? 1000);
await run("warm-up", Number(process.env.MICRO_NOOP_WARM ?? 2000), noop);
const noopCpu = await run("no-op", Number(process.env.MICRO_NOOP ?? 10_000), noop);
console.log(`no-op: ${noopCpu.toFixed(0)} µs CPU/request`);
const warm = requests(WARM);
await run(`${SCENARIO} warm-up`, WARM, (i) => (SCENARIO === "s15" ? warm[i] : verify(N + i)));
// Rounds of 1000: the least CPU per request of the rounds is the figure least disturbed by other load.
const rounds = [];
for (let r = 0; r * 1000 < N; r++) {
  const built = requests(1000);
  rounds.push(await run(`${SCENARIO} ${r + 1}`, 1000, (i) => (SCENARIO === "s15" ? built[i] : verify(r * 1000 + i))));
}
rounds.sort((a, b) => a - b);
console.log(
  `${SCENARIO}: least ${rounds[0].toFixed(0)} µs CPU/request, median ${rounds[Math.floor(rounds.length / 2)].toFixed(0)}`,
);
await server.close();
if (schema) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`drop schema ${schema} cascade`);
  await client.end();
}
await rm(dir, { recursive: true, force: true });
