// `npm run bench`: Pims measured against its own baseline (a no-op route of the same server) and
// against a peer (Better Auth + two-factor), in one run. Prints a table; writes bench/results/.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPims, memoryStore } from "@pims/sdk";
import pg from "pg";
import { bundleSize } from "./lib/bundleSize.mjs";
import { PASSWORD, sessionFor, writeFixtures } from "./lib/fixtures.mjs";
import { Exhausted, httpLoad, sdkLoad } from "./lib/load.mjs";
import { runPeer } from "./lib/peer.mjs";
import { report } from "./lib/report.mjs";
import { startProcess, withPeakRss } from "./lib/startProcess.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POSTGRES =
  process.env.BENCH_DATABASE_URL ?? process.env.PIMS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ADMIN_KEY = randomBytes(32).toString("base64url");
/** `BENCH_ONLY=sqlite` or `postgres`; `BENCH_SCENARIOS=verify,s15,enroll,login` (the baseline always runs). */
const ONLY = process.env.BENCH_ONLY;
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? "verify,s15,enroll,login").split(","));
/** `BENCH_PROFILE=<folder>`: the server runs under --cpu-prof, its profile written there. */
const PROFILE = process.env.BENCH_PROFILE;
const log = (text) => process.stdout.write(`${text}\n`);

/** SMS arrive here (webhook provider): the code of the last SMS per number. */
const codes = new Map();
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const { to, body: text } = JSON.parse(body);
    codes.set(to, /\b(\d{6})\b/.exec(text)?.[1]);
    res.end();
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const smsUrl = `http://127.0.0.1:${receiver.address().port}/sms`;

let phoneCounter = Math.floor(Math.random() * 5_000_000);
const newPhone = () => `061${String(++phoneCounter % 10_000_000).padStart(7, "0")}`;

async function benchEngine(engine) {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-bench-"));
  const secretKey = randomBytes(32).toString("base64url");
  const schema = engine === "postgres" ? `pims_bench_${randomBytes(4).toString("hex")}` : undefined;
  const databaseUrl = engine === "postgres" ? POSTGRES : `sqlite:${join(dataDir, "bench.db")}`;
  const server = await startProcess(
    "node",
    [
      ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : []),
      join(ROOT, "packages/server/bin/pims.js"),
      "serve",
    ],
    {
      PIMS_PORT: "0",
      PIMS_DATA_DIR: dataDir,
      PIMS_DATABASE_URL: databaseUrl,
      ...(schema ? { PIMS_DATABASE_SCHEMA: schema } : {}),
      PIMS_SECRET_KEY: secretKey,
      PIMS_ADMIN_KEY: ADMIN_KEY,
      PIMS_BENCH_ROUTES: "true",
      PIMS_LOG_LEVEL: "info",
      PIMS_MODE: "development",
      PIMS_SMS_PROVIDER: "webhook",
      PIMS_SMS_WEBHOOK_URL: smsUrl,
      PIMS_SMS_COOLDOWN: "0",
      PIMS_SMS_PER_PHONE_HOUR: "10000",
      PIMS_SMS_PER_PHONE_DAY: "100000",
      PIMS_SMS_PER_TRUSTED_PHONE_HOUR: "10000",
      PIMS_SMS_PER_TRUSTED_PHONE_DAY: "100000",
      PIMS_SMS_GLOBAL_PER_HOUR: "100000000",
      PIMS_SMS_PER_ACCOUNT_HOUR: "10000",
      PIMS_SMS_PER_ACCOUNT_DAY: "100000",
      PIMS_SMS_PER_ADDRESS_HOUR: "100000",
      PIMS_SMS_PER_ADDRESS_DAY: "1000000",
      PIMS_RP_MAX_PER_MINUTE: "100000000",
      PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS: "100000",
    },
    "pims is listening",
  );
  const results = [];
  try {
    log(`\n[${engine}] server at ${server.url}; writing fixtures…`);
    const accounts = await writeFixtures({ databaseUrl, schema, secretKey, accounts: 8000, otpsPerAccount: 60 });
    // Interleaved, as real traffic is: consecutive requests are for different accounts.
    const withOtps = accounts.filter((a) => a.otps.length > 0).slice(0, 4000);
    const otps = withOtps[0].otps.flatMap((_, k) => withOtps.map((a) => ({ otp: a.otps[k], account: a.id })));
    const rp = await (
      await fetch(`${server.url}/v1/admin/relying-parties`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench" }),
      })
    ).json();
    const facadeFor = async (row) => {
      const store = memoryStore();
      await store.set("pims.session", sessionFor(row));
      const pims = createPims();
      await pims.initialize({ serverUrl: server.url, store });
      return pims;
    };
    const enroll = async (pims, pin) => {
      const phone = newPhone();
      const asked = await pims.get("pims.authentication.smscode", {
        type: "phoneNumberCertification",
        phoneNumber: phone,
      });
      if (asked.status !== "SUCCEEDED") return false;
      const smsCode = codes.get(`+33${phone.slice(1)}`);
      const done = await pims.set("pims.authentication.enrollment", {
        action: "enrollmentWithPhoneNumber",
        pinCode: pin,
        smsCode,
        phoneNumber: phone,
      });
      return done.status === "SUCCEEDED";
    };
    const measure = async (name, work, notes = "") => {
      const { result, peakRssMb, cpuPercent } = await withPeakRss(server.pid, work);
      results.push({ engine, scenario: name, ...result, peakRssMb, cpuPercent, notes });
      log(
        `  ${name.padEnd(28)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  RSS ${peakRssMb.toFixed(0)} MB  server CPU ${cpuPercent.toFixed(0)}%${result.failures ? `  (${result.failures} failed)` : ""}`,
      );
    };

    // Warm-up, then the baseline: the same server, framework and hooks, no work.
    await httpLoad({
      url: server.url,
      path: "/bench/noop",
      connections: CONNECTIONS,
      seconds: 2,
      next: () => ({ body: "{}" }),
    });
    await measure("baseline (no-op route)", () =>
      httpLoad({
        url: server.url,
        path: "/bench/noop",
        connections: CONNECTIONS,
        seconds: SECONDS,
        next: () => ({ body: "{}" }),
      }),
    );

    if (SCENARIOS.has("verify"))
      await measure(
        "OTP verification (RP API)",
        async () => {
          const result = await httpLoad({
            url: server.url,
            path: "/v1/rp/verify",
            connections: CONNECTIONS,
            seconds: SECONDS,
            headers: { authorization: `Bearer ${rp.result.key}` },
            next: (i) => ({ body: JSON.stringify(otps[i % otps.length]) }),
          });
          const valid = await consumedOtps(databaseUrl, schema);
          return { ...result, rps: valid / SECONDS, valid, note: `${valid} valid of ${result.requests}` };
        },
        "valid verifications/s, each consuming a distinct OTP",
      );

    const withPin = await Promise.all(accounts.slice(4000, 4000 + CONNECTIONS).map(facadeFor));
    for (const pims of withPin) if (!(await enroll(pims, "48213579"))) throw new Error("S15 fixture enrollment failed");
    if (SCENARIOS.has("s15"))
      await measure(
        "S15 OTP withPIN via SDK",
        () =>
          sdkLoad({
            concurrency: CONNECTIONS,
            seconds: SECONDS,
            iteration: async (w) =>
              (await withPin[w].get("pims.authentication.otp", { action: "withPIN", pinCode: "48213579" })).status ===
              "SUCCEEDED",
          }),
        "signed request, PIN check, OTP issued",
      );

    let next = 4100;
    if (SCENARIOS.has("enroll"))
      await measure(
        "S5 + S11 enrollment via SDK",
        () =>
          sdkLoad({
            concurrency: CONNECTIONS,
            seconds: SECONDS,
            iteration: async () => {
              const account = accounts[next++];
              if (!account) throw new Exhausted();
              return enroll(await facadeFor(account), "13572468");
            },
          }),
        "per enrollment (two calls, one SMS)",
      );

    if (SCENARIOS.has("login"))
      await measure(
        "login (argon2id)",
        () =>
          httpLoad({
            url: server.url,
            path: "/v1/user/login",
            connections: CONNECTIONS,
            seconds: SECONDS,
            next: (i) => ({ body: JSON.stringify({ login: accounts[i % accounts.length].login, password: PASSWORD }) }),
          }),
        "password hashing bounded by a pool sized to the cores",
      );
  } finally {
    await server.stop();
    if (schema) {
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  return results;
}

async function consumedOtps(databaseUrl, schema) {
  const { openDatabase } = await import("@pims/server");
  const { db, close } = openDatabase(databaseUrl, schema ? { schema } : {});
  const row = await db
    .selectFrom("otps")
    .select((eb) => eb.fn.countAll().as("count"))
    .where("consumed_at", "is not", null)
    .executeTakeFirstOrThrow();
  await close();
  return Number(row.count);
}

async function postgresAvailable() {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const results = ONLY === "postgres" ? [] : [...(await benchEngine("sqlite"))];
if (ONLY !== "sqlite") {
  if (await postgresAvailable()) results.push(...(await benchEngine("postgres")));
  else log("\nPostgreSQL not reachable: its figures are missing from this run.");
}
const peer = ONLY ? undefined : await runPeer({ connections: CONNECTIONS, seconds: SECONDS, log });
const bundle = await bundleSize(ROOT);
log(
  `\nbrowser SDK bundle: ${(bundle.minified / 1024).toFixed(1)} kB minified, ${(bundle.gzip / 1024).toFixed(1)} kB gzip`,
);
receiver.close();

const { table, markdown, json } = report({ results, peer, bundle, seconds: SECONDS, connections: CONNECTIONS });
log(`\n${table}`);
await mkdir(join(ROOT, "bench/results"), { recursive: true });
await writeFile(join(ROOT, "bench/results/latest.json"), `${JSON.stringify(json, null, 2)}\n`);
await writeFile(join(ROOT, "bench/results/latest.md"), markdown);
log("\nwritten: bench/results/latest.json, bench/results/latest.md");
