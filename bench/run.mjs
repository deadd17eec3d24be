// `npm run bench`: Pims measured against a bare Fastify route in its own process, against its own
// no-op route, and against a peer (Better Auth + two-factor), in one run. Prints a table; writes
// bench/results/. `BENCH_QUICK=1`: about a minute, for development (see bench/README.md).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPims, memoryStore } from "@pims/sdk";
import pg from "pg";
import { bundleSize } from "./lib/bundleSize.mjs";
import { PASSWORD, sessionFor, writeFixtures } from "./lib/fixtures.mjs";
import { measureFloor } from "./lib/floor.mjs";
import { largeDatabase } from "./lib/largeDatabase.mjs";
import { Exhausted, httpLoad, sdkLoad } from "./lib/load.mjs";
import { runPeer } from "./lib/peer.mjs";
import { report } from "./lib/report.mjs";
import { startProcess, withPeakRss } from "./lib/startProcess.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POSTGRES =
  process.env.BENCH_DATABASE_URL ?? process.env.PIMS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ADMIN_KEY = randomBytes(32).toString("base64url");
/** `BENCH_ONLY=sqlite` or `postgres`; `BENCH_SCENARIOS=verify,s15,enroll,login` (the baselines always run). */
const ONLY = process.env.BENCH_ONLY;
const SCENARIOS = new Set(
  (process.env.BENCH_SCENARIOS ?? (QUICK ? "verify,s15" : "verify,s15,enroll,login")).split(","),
);
/** The large-database scenario (1,000,000 accounts, 5,000,000 audit rows): on by default, off in quick mode. */
const LARGE = (process.env.BENCH_LARGE ?? (QUICK ? "0" : "1")) === "1";
const LARGE_ACCOUNTS = Number(process.env.BENCH_LARGE_ACCOUNTS ?? 1_000_000);
const LARGE_AUDIT = Number(process.env.BENCH_LARGE_AUDIT ?? 5_000_000);
const CACHE_DIR = process.env.BENCH_CACHE_DIR ?? join(ROOT, "bench/.cache");
/**
 * Tenants on (issue 16): the server also serves two brands from a tenants file, and the verification
 * and S15 are measured again in one of them (its client id, its relying party, its accounts), next to
 * the default tenant's figures of the same run. `BENCH_TENANTS=0` turns it off.
 */
const TENANTS = process.env.BENCH_TENANTS !== "0";
const BRAND = { id: "brand-a", clientId: "bench-brand-a-app" };
/** `BENCH_PROFILE=<folder>`: the server runs under --cpu-prof, its profile written there. */
const PROFILE = process.env.BENCH_PROFILE;
const FIXTURE_ACCOUNTS = QUICK ? 4200 : 8000;
const OTPS_PER_ACCOUNT = QUICK ? 20 : 60;
const log = (text) => process.stdout.write(`${text}\n`);

/**
 * Core pinning: servers on core 0, this process (the load generator, autocannon and the SDK) on
 * core 1, so the two do not take turns on one core. `BENCH_PIN=0` turns it off; it is off on a
 * single core or without taskset(1).
 */
const PIN = process.env.BENCH_PIN !== "0" && availableParallelism() >= 2 && hasTaskset();
if (PIN) execFileSync("taskset", ["-a", "-cp", "1", String(process.pid)], { stdio: "ignore" });
const pinned = (command, args) => (PIN ? ["taskset", ["-c", "0", command, ...args]] : [command, args]);

function hasTaskset() {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

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

/**
 * The node flags a `pims` command starts with: those of its first line (`#!/usr/bin/env -S node …`,
 * the young generation's size), which the Dockerfile and `npm start` pass too — so the bench
 * measures the server as deployed, and another build's bin (`BENCH_PIMS_BIN`) with its own flags.
 */
function binFlags(bin) {
  const shebang = readFileSync(bin, "utf8").split("\n", 1)[0];
  return (/^#!\/usr\/bin\/env -S node (.+)$/.exec(shebang)?.[1] ?? "").split(" ").filter(Boolean);
}

/** A Pims server process (pinned, optionally profiled) on a database. */
function startPims({ databaseUrl, schema, secretKey, dataDir, env = {} }) {
  const bin = process.env.BENCH_PIMS_BIN ?? join(ROOT, "packages/server/bin/pims.js");
  const [command, args] = pinned("node", [
    ...binFlags(bin),
    ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : []),
    ...(process.env.BENCH_NODE_OPTIONS ? process.env.BENCH_NODE_OPTIONS.split(" ") : []),
    bin,
    "serve",
  ]);
  return startProcess(
    command,
    args,
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
      // A pool sized for the load: one connection per request in flight (docs/deployment.md).
      PIMS_DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? String(CONNECTIONS),
      ...env,
    },
    "pims is listening",
  );
}

/** The bare Fastify route, in its own process with the same pinning as the Pims server. */
async function measureBare(results, engine) {
  const [command, args] = pinned("node", [join(ROOT, "bench/baseline/bareFastify.mjs")]);
  const bare = await startProcess(command, args, { PORT: "0" }, "bare is listening");
  try {
    const load = { url: bare.url, path: "/bare", connections: CONNECTIONS, next: () => ({ body: "{}" }) };
    await httpLoad({ ...load, seconds: QUICK ? 1 : 2 });
    const { result, peakRssMb, cpuPercent, cpuMicrosPerRequest } = await withPeakRss(bare.pid, () =>
      httpLoad({ ...load, seconds: SECONDS }),
    );
    results.push({
      engine,
      scenario: "bare Fastify route",
      ...result,
      peakRssMb,
      cpuPercent,
      cpuMicrosPerRequest,
      notes: "own process",
    });
    log(
      `  ${"bare Fastify route".padEnd(32)} ${result.rps.toFixed(0).padStart(7)} req/s  p99 ${result.p99.toFixed(1)} ms  server CPU ${cpuMicrosPerRequest.toFixed(0)} µs/req`,
    );
  } finally {
    await bare.stop();
  }
}

const createRelyingParty = async (url, tenant) =>
  (
    await (
      await fetch(`${url}/v1/admin/relying-parties${tenant ? `?tenant=${tenant}` : ""}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench" }),
      })
    ).json()
  ).result.key;

/** Interleaved, as real traffic is: consecutive requests are for different accounts. */
const interleave = (accounts) =>
  accounts[0].otps.flatMap((_, k) => accounts.map((a) => ({ otp: a.otps[k], account: a.id })));

/** `POST /v1/rp/verify` under load; the figure counts the OTPs actually consumed. */
async function verifyLoad({ url, key, otps, databaseUrl, schema }) {
  const before = await consumedOtps(databaseUrl, schema);
  const result = await httpLoad({
    url,
    path: "/v1/rp/verify",
    connections: CONNECTIONS,
    seconds: SECONDS,
    headers: { authorization: `Bearer ${key}` },
    next: (i) => ({ body: JSON.stringify(otps[i % otps.length]) }),
  });
  const valid = (await consumedOtps(databaseUrl, schema)) - before;
  return { ...result, rps: valid / SECONDS, valid, note: `${valid} valid of ${result.requests}` };
}

async function benchEngine(engine) {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-bench-"));
  const secretKey = randomBytes(32).toString("base64url");
  const schema = engine === "postgres" ? `pims_bench_${randomBytes(4).toString("hex")}` : undefined;
  const databaseUrl = engine === "postgres" ? POSTGRES : `sqlite:${join(dataDir, "bench.db")}`;
  const results = [];
  await measureBare(results, engine);
  // What one core does with a verification's writes alone, with one commit each and with one per turn.
  if (engine === "sqlite" && SCENARIOS.has("verify"))
    results.push(
      ...(await measureFloor({ pinned, connections: CONNECTIONS, seconds: SECONDS, warmSeconds: QUICK ? 1 : 2, log })),
    );
  const tenantsFile = join(dataDir, "tenants.json");
  await writeFile(
    tenantsFile,
    JSON.stringify({
      tenants: ["a", "b"].map((x) => ({
        id: `brand-${x}`,
        name: `Brand ${x.toUpperCase()}`,
        apps: [{ clientId: `bench-brand-${x}-app`, name: `Brand ${x.toUpperCase()} app` }],
      })),
    }),
  );
  const server = await startPims({
    databaseUrl,
    schema,
    secretKey,
    dataDir,
    env: TENANTS ? { PIMS_TENANTS_FILE: tenantsFile } : {},
  });
  try {
    log(`\n[${engine}] server at ${server.url}; writing fixtures…`);
    const accounts = await writeFixtures({
      databaseUrl,
      schema,
      secretKey,
      accounts: FIXTURE_ACCOUNTS,
      otpsPerAccount: OTPS_PER_ACCOUNT,
    });
    const otps = interleave(accounts.filter((a) => a.otps.length > 0).slice(0, 4000));
    const rpKey = await createRelyingParty(server.url);
    let brandRows;
    const brandFixtures = async () => {
      brandRows ??= await writeFixtures({
        databaseUrl,
        schema,
        secretKey,
        accounts: 4000 + CONNECTIONS,
        otpsPerAccount: OTPS_PER_ACCOUNT,
        tenant: BRAND.id,
        prefix: "brand",
      });
      return brandRows;
    };
    const facadeFor = async (row, clientId) => {
      const store = memoryStore();
      await store.set("pims.session", sessionFor(row));
      const pims = createPims();
      const initialized = await pims.initialize({
        serverUrl: server.url,
        store,
        ...(clientId ? { credential: { clientId } } : {}),
      });
      if (initialized.status !== "SUCCEEDED") throw new Error(`initialize: ${JSON.stringify(initialized)}`);
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
    const measure = (name, work, notes = "") => measureOn(server, results, engine, name, work, notes);

    // Warm-up, then Pims' own baseline: the same server, framework and hooks, no work.
    const noop = { url: server.url, path: "/bench/noop", connections: CONNECTIONS, next: () => ({ body: "{}" }) };
    await httpLoad({ ...noop, seconds: QUICK ? 1 : 2 });
    await measure("Pims no-op route", () => httpLoad({ ...noop, seconds: SECONDS }));

    if (SCENARIOS.has("verify")) {
      await measure(
        "OTP verification (RP API)",
        () => verifyLoad({ url: server.url, key: rpKey, otps, databaseUrl, schema }),
        "valid verifications/s, each consuming a distinct OTP",
      );
      // The same fixtures in a brand: its accounts, its relying party, its app's client id.
      // Written after the default tenant's verification, so that its figure is measured as before
      // tenants (a fixture write just before a measurement slows it while the database settles).
      if (TENANTS) {
        const brandOtps = interleave((await brandFixtures()).slice(0, 4000));
        const brandKey = await createRelyingParty(server.url, BRAND.id);
        await measure(
          "OTP verification (RP API), tenant",
          () => verifyLoad({ url: server.url, key: brandKey, otps: brandOtps, databaseUrl, schema }),
          `the same in tenant ${BRAND.id} (its relying party's key names it)`,
        );
      }
    }

    const withPin = await Promise.all(accounts.slice(4000, 4000 + CONNECTIONS).map((row) => facadeFor(row)));
    const brandWithPin =
      TENANTS && SCENARIOS.has("s15")
        ? await Promise.all(
            (await brandFixtures()).slice(4000, 4000 + CONNECTIONS).map((row) => facadeFor(row, BRAND.clientId)),
          )
        : [];
    if (SCENARIOS.has("s15") || SCENARIOS.has("s16")) {
      for (const pims of [...withPin, ...brandWithPin])
        if (!(await enroll(pims, "48213579"))) throw new Error("S15 fixture enrollment failed");
    }
    const s15Options = (facades) => ({
      concurrency: CONNECTIONS,
      seconds: SECONDS,
      iteration: async (w) =>
        (await facades[w].get("pims.authentication.otp", { action: "withPIN", pinCode: "48213579" })).status ===
        "SUCCEEDED",
    });
    const s15 = (facades) => () => sdkLoad(s15Options(facades));
    if (SCENARIOS.has("s15")) {
      // Warm-up, so that the first of the two S15 figures does not pay for the JIT alone.
      await sdkLoad({ ...s15Options(withPin), seconds: QUICK ? 1 : 2 });
      await measure("S15 OTP withPIN via SDK", s15(withPin), "signed request, PIN check, OTP issued");
      if (TENANTS) await sdkLoad({ ...s15Options(brandWithPin), seconds: QUICK ? 1 : 2 });
      if (TENANTS)
        await measure(
          "S15 OTP withPIN via SDK, tenant",
          s15(brandWithPin),
          `the same in tenant ${BRAND.id} (the app's client id on every request)`,
        );
    }

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
    if (schema) await dropSchema(schema);
    await rm(dataDir, { recursive: true, force: true });
  }
  if (LARGE && SCENARIOS.has("verify")) results.push(...(await benchLarge(engine)));
  return results;
}

async function measureOn(server, results, engine, name, work, notes = "") {
  const { result, peakRssMb, cpuPercent, cpuMicrosPerRequest } = await withPeakRss(server.pid, work);
  results.push({ engine, scenario: name, ...result, peakRssMb, cpuPercent, cpuMicrosPerRequest, notes });
  log(
    `  ${name.padEnd(32)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  RSS ${peakRssMb.toFixed(0)} MB  server CPU ${cpuPercent.toFixed(0)}%, ${cpuMicrosPerRequest.toFixed(0)} µs/req${result.failures ? `  (${result.failures} failed)` : ""}`,
  );
}

/** Verification on the large database (cached between runs; see lib/largeDatabase.mjs). */
async function benchLarge(engine) {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-bench-large-"));
  const secretKey = randomBytes(32).toString("base64url");
  const results = [];
  log(`\n[${engine}, large database]`);
  const large = await largeDatabase({
    engine,
    postgresUrl: POSTGRES,
    cacheDir: CACHE_DIR,
    runDir: dataDir,
    accounts: LARGE_ACCOUNTS,
    auditRows: LARGE_AUDIT,
    log,
  });
  try {
    const { databaseUrl, schema } = large;
    const server = await startPims({ databaseUrl, schema, secretKey, dataDir });
    try {
      const accounts = await writeFixtures({
        databaseUrl,
        schema,
        secretKey,
        existing: large.sample(4000),
        otpsPerAccount: OTPS_PER_ACCOUNT,
      });
      const otps = interleave(accounts);
      const warm = otps.splice(0, 4000);
      const rpKey = await createRelyingParty(server.url);
      // Warm-up on OTPs of its own, so the measured ones are all valid.
      await httpLoad({
        url: server.url,
        path: "/v1/rp/verify",
        connections: CONNECTIONS,
        seconds: QUICK ? 1 : 2,
        amount: 4000,
        headers: { authorization: `Bearer ${rpKey}` },
        next: (i) => ({ body: JSON.stringify(warm[i % warm.length]) }),
      });
      await measureOn(
        server,
        results,
        engine,
        "OTP verification, large database",
        () => verifyLoad({ url: server.url, key: rpKey, otps, databaseUrl, schema }),
        `${LARGE_ACCOUNTS} accounts and sessions, ${LARGE_AUDIT} audit rows`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    await large.release();
    await rm(dataDir, { recursive: true, force: true });
  }
  return results;
}

async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
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

log(
  `${QUICK ? "quick mode: " : ""}${SECONDS} s per scenario, ${CONNECTIONS} connections; ${PIN ? "servers pinned to core 0, load generator to core 1" : "no core pinning"}`,
);
const results = ONLY === "postgres" ? [] : [...(await benchEngine("sqlite"))];
if (ONLY !== "sqlite") {
  if (await postgresAvailable()) results.push(...(await benchEngine("postgres")));
  else log("\nPostgreSQL not reachable: its figures are missing from this run.");
}
const peer = ONLY || QUICK ? undefined : await runPeer({ connections: CONNECTIONS, seconds: SECONDS, log, pinned });
const bundle = await bundleSize(ROOT);
log(
  `\nbrowser SDK bundle: ${(bundle.minified / 1024).toFixed(1)} kB minified, ${(bundle.gzip / 1024).toFixed(1)} kB gzip`,
);
receiver.close();

const { table, markdown, json } = report({
  results,
  peer,
  bundle,
  seconds: SECONDS,
  connections: CONNECTIONS,
  quick: QUICK,
  pinned: PIN,
  large: { accounts: LARGE_ACCOUNTS, audit: LARGE_AUDIT },
});
log(`\n${table}`);
// A quick or partial run does not replace the committed results of a full one.
const full = !QUICK && !ONLY && !process.env.BENCH_SCENARIOS && LARGE;
const name = full ? "latest" : "quick";
await mkdir(join(ROOT, "bench/results"), { recursive: true });
await writeFile(join(ROOT, `bench/results/${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
await writeFile(join(ROOT, `bench/results/${name}.md`), markdown);
log(`\nwritten: bench/results/${name}.json, bench/results/${name}.md`);
