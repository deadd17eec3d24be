import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join } from "node:path";
import { checkStepUp, createVerifier } from "@pims/relying-party";
import { createPims, memoryStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertionFor, enrolledAccount } from "../support/assertions.js";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * Every code block of README.md and docs/relying-parties.md, extracted and run: TypeScript blocks
 * are type-checked (strict) and executed against a real server, shell blocks are run, JSON blocks
 * are compared with the answers the server really gives, `text` blocks (a diagram, a log line) are
 * compared with what they show where they show something. A block this file does not know fails
 * the first test: a new snippet needs a way to be run here.
 *
 * The only changes made to a snippet before running it: `http://127.0.0.1:8080` becomes the test
 * server's URL and `https://api.example.com` the URL of the relying party the README's Fastify
 * snippet starts; the README's app blocks run as one program, joined by an enrollment (S5, S11 with
 * the development inbox) and with `askUserForPin` defined.
 */
interface Block {
  readonly key: string;
  readonly lang: string;
  readonly code: string;
}

async function blocksOf(file: string): Promise<Block[]> {
  const text = await readFile(join(REPOSITORY_ROOT, file), "utf8");
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match, index) => ({
    key: `${file}#${index}`,
    lang: match[1] ?? "",
    code: match[2] ?? "",
  }));
}

const README = "README.md";
const RP_DOC = "docs/relying-parties.md";
/** What each block is, in order; the tests below run each. */
const EXPECTED: Record<string, string> = {
  [`${README}#0`]: "sh",
  [`${README}#1`]: "ts",
  [`${README}#2`]: "json",
  [`${README}#3`]: "sh",
  [`${README}#4`]: "ts",
  [`${README}#5`]: "ts",
  [`${README}#6`]: "text",
  [`${RP_DOC}#0`]: "sh",
  [`${RP_DOC}#1`]: "json",
  [`${RP_DOC}#2`]: "ts",
  [`${RP_DOC}#3`]: "text",
  [`${RP_DOC}#4`]: "text",
  [`${RP_DOC}#5`]: "json",
  [`${RP_DOC}#6`]: "ts",
  [`${RP_DOC}#7`]: "json",
  [`${RP_DOC}#8`]: "json",
  [`${RP_DOC}#9`]: "json",
  [`${RP_DOC}#10`]: "ts",
};

let blocks: Map<string, Block>;
let server: TestServer;
let work: string;
const children: ChildProcess[] = [];

const block = (key: string): string => {
  const found = blocks.get(key);
  if (!found) throw new Error(`no block ${key}`);
  return found.code;
};

beforeAll(async () => {
  blocks = new Map([...(await blocksOf(README)), ...(await blocksOf(RP_DOC))].map((b) => [b.key, b]));
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  // Inside the repository, so that `@pims/*` resolve to the built packages as an app's would.
  work = await mkdtemp(join(REPOSITORY_ROOT, "packages/tests/.snippets-"));
});
afterAll(async () => {
  await Promise.all(children.map(stop));
  await server.close();
  await rm(work, { recursive: true, force: true });
});

/** Stops a started process and everything in its group, and waits for it to exit. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    process.kill(-(child.pid as number), "SIGTERM");
  });
}

function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? work, env: { ...clean, ...options.env }, stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => resolve({ code, output }));
  });
}

function start(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  // Its own process group, so that stopping it stops what npm started too.
  const child = spawn(command, args, {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    stdio: "pipe",
    detached: true,
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitFor(url: string, describe: () => string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() - started > 20_000) throw new Error(`${url} did not answer:\n${describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Compiles the TypeScript files of `folder` (strict, Node ESM) into `folder/out`. */
async function compileStrict(folder: string) {
  const compilerOptions = {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2023"],
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    outDir: "out",
  };
  await writeFile(join(folder, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }));
  await writeFile(join(folder, "package.json"), JSON.stringify({ type: "module", private: true }));
  return run("node", [join(REPOSITORY_ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: folder });
}

/** A JSON block's top-level values, one per unindented line. */
const jsonLines = (code: string): Record<string, unknown>[] =>
  code
    .replace(/\n\s+/g, " ")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

/** Same keys and value types, recursively; `…` in the documentation stands for any string. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

describe("the documentation's code blocks", () => {
  it("are all known to this test, each with its language", () => {
    expect(Object.fromEntries([...blocks.values()].map((b) => [b.key, b.lang]))).toEqual(EXPECTED);
  });

  it("README: the two commands — npm start serves the demo page; npm ci checks; npm test is what CI runs", async () => {
    const lines = block(`${README}#0`)
      .split("\n")
      .map((line) => line.replace(/#.*$/, "").trim())
      .filter(Boolean);
    expect(lines).toEqual(["npm ci && npm start", "npm ci && npm test"]);
    // `npm ci --dry-run` and `npm start` side by side: neither writes what the other reads.
    const checked = run("npm", ["ci", "--dry-run", "--no-audit", "--no-fund"], { cwd: REPOSITORY_ROOT });
    const dataDir = join(work, "start-data");
    const started = start("npm", ["start"], { cwd: REPOSITORY_ROOT, env: { PIMS_PORT: "0", PIMS_DATA_DIR: dataDir } });
    const url = await new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const match = /"url":"(http:\/\/[^"]+)"[^\n]*pims is listening/.exec(started.output());
        if (match?.[1]) {
          clearInterval(poll);
          resolve(match[1]);
        } else if (started.child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(started.output()));
        }
      }, 50);
    });
    const ci = await checked;
    expect(ci.code, ci.output).toBe(0);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    // `npm test` inside the test suite would run the suite inside itself: CI runs this very line.
    const ciScript = await readFile(join(REPOSITORY_ROOT, ".ci/run"), "utf8");
    expect(ciScript.trim().split("\n").at(-1)).toBe(lines[1]);
  }, 120_000);

  it("README: the FAILED message shown is the one the SDK answers before login", async () => {
    const pims = createPims();
    expectSuccess(await pims.initialize({ serverUrl: server.url, store: memoryStore() }));
    const answer = await pims.get("pims.authentication.account", { actionType: "basic", type: "username" });
    const documented = JSON.parse(block(`${README}#2`));
    expect(answer).toEqual({ ...documented, transactionId: answer.transactionId });
  });

  it("README: npm run pack writes the tarballs it names", async () => {
    const code = block(`${README}#3`);
    const [command, comment] = code.split("#").map((part) => part.trim());
    expect(command).toBe("npm ci && npm run pack");
    const named = /dist-packages\/pims-\{([^}]+)\}-([\d.]+)\.tgz/.exec(comment ?? "");
    expect(named).not.toBeNull();
    const out = join(work, "dist-packages");
    // `npm run pack` is `npm run build` (done before the tests) and then this script.
    const packed = await run("node", ["scripts/pack.mjs", "--out", out], { cwd: REPOSITORY_ROOT });
    expect(packed.code, packed.output).toBe(0);
    for (const name of (named?.[1] ?? "").split(",")) {
      expect((await stat(join(out, `pims-${name}-${named?.[2]}.tgz`))).size).toBeGreaterThan(1000);
    }
  }, 60_000);

  it("README and docs/relying-parties.md: the TypeScript blocks type-check (strict) and run: 2302 → S15 → 200", async () => {
    const { key } = await createRelyingParty(server.url, "readme-rp");
    const port = await freePort();
    const rpUrl = `http://127.0.0.1:${port}`;
    const localize = (code: string) =>
      code.replaceAll("http://127.0.0.1:8080", server.url).replaceAll("https://api.example.com", rpUrl);
    const pin = "48213579";
    const app = [
      'import { latestCode, newPhone } from "./harness.js";',
      `const askUserForPin = async (): Promise<string> => ${JSON.stringify(pin)};`,
      localize(block(`${README}#1`)),
      "// glue: this device is enrolled (S5, then S11 with the code from the development inbox)",
      "const phone = newPhone();",
      'await pims.get("pims.authentication.smscode", { type: "phoneNumberCertification", phoneNumber: phone.national });',
      `const smsCode = await latestCode(${JSON.stringify(server.url)}, phone.e164);`,
      `const enrolled = await pims.set("pims.authentication.enrollment", { action: "enrollmentWithPhoneNumber", pinCode: ${JSON.stringify(pin)}, smsCode, phoneNumber: phone.national });`,
      'if (enrolled.status !== "SUCCEEDED") throw new Error(JSON.stringify(enrolled));',
      localize(block(`${README}#4`)),
      "process.stdout.write(JSON.stringify({ username: message, status: response.status, body: await response.json() }));",
    ].join("\n");
    const harness = `
export function newPhone() {
  const digits = String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0");
  return { national: \`061\${digits}\`, e164: \`+3361\${digits}\` };
}
export async function latestCode(url: string, e164: string): Promise<string> {
  const inbox = (await (await fetch(\`\${url}/dev/sms?to=\${encodeURIComponent(e164)}\`)).json()) as { messages: { body: string }[] };
  const code = /\\b(\\d{4,10})\\b/.exec(inbox.messages[0]?.body ?? "")?.[1];
  if (code === undefined) throw new Error("no SMS code");
  return code;
}
`;
    const imports = `${block(`${RP_DOC}#2`)}
for (const f of [createVerifier, stepUpMiddleware, fastifyStepUp, pimsPlugin]) if (typeof f !== "function") process.exit(1);
`;
    await writeFile(join(work, "harness.ts"), harness);
    await writeFile(join(work, "app.ts"), app);
    await writeFile(join(work, "relyingParty.ts"), localize(block(`${README}#5`)));
    await writeFile(join(work, "imports.ts"), imports);
    const compiled = await compileStrict(work);
    expect(compiled.code, compiled.output).toBe(0);

    const importsRan = await run("node", ["out/imports.js"]);
    expect(importsRan.code, importsRan.output).toBe(0);

    const rp = start("node", ["out/relyingParty.js"], { env: { PIMS_RP_KEY: key, PORT: String(port) } });
    await waitFor(`${rpUrl}/`, rp.output);
    const ran = await run("node", ["out/app.js"]);
    expect(ran.code, ran.output).toBe(0);
    const result = JSON.parse(ran.output.trim().split("\n").at(-1) as string);
    expect(result.username).toMatchObject({ status: "SUCCEEDED", result: { username: "alice" } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ by: "alice" });
    // fileStore("./pims-device.json") is where the snippet said.
    expect((await stat(join(work, "pims-device.json"))).mode & 0o777).toBe(0o600);
  }, 120_000);

  it("docs/relying-parties.md: the admin commands create a relying party and revoke one", async () => {
    const victim = await createRelyingParty(server.url, "to-revoke");
    const ran = await run("bash", ["-euo", "pipefail", "-c", block(`${RP_DOC}#0`)], {
      env: { PIMS: server.url, PIMS_ADMIN_KEY: ADMIN_KEY, RP_ID: victim.id },
    });
    expect(ran.code, ran.output).toBe(0);
    const answers = ran.output
      .replace(/\}\{/g, "}\n{")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const documented = JSON.parse(/# → (\{.*\})\s+\(/.exec(block(`${RP_DOC}#0`))?.[1] ?? "null");
    expect(shapeOf(answers[0])).toEqual(shapeOf(documented));
    expect(answers[0].result).toMatchObject({
      name: "payments-api",
      id: expect.stringMatching(/^rp_/),
      key: expect.stringMatching(/^prk_/),
    });
    expect(answers[1]).toMatchObject({ status: "SUCCEEDED" });
    const refused = await verifyOtp(server.url, victim.key, { otp: "12345678", account: "acc_x" });
    expect(refused.body.error?.code).toBe(2301);
  });

  it("docs/relying-parties.md: the verification answers have the documented shape", async () => {
    const { key } = await createRelyingParty(server.url, "shape-rp");
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    const { otp } = expectSuccess(await pims.get("pims.authentication.otp", { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const { token } = expectSuccess(
      await pims.get("pims.authentication.token", { type: "customerAt", action: "get" }),
    ) as { token: string };
    const documented = block(`${RP_DOC}#1`)
      .replace(/\n\s+/g, " ")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const valid = await verifyOtp(server.url, key, { otp, accessToken: token });
    const invalid = await verifyOtp(server.url, key, { otp, accessToken: token });
    expect(documented).toHaveLength(2);
    expect(shapeOf(valid.body)).toEqual(shapeOf(documented[0]));
    expect(valid.body.result?.factors).toEqual(documented[0].result.factors);
    expect(invalid.body).toEqual(documented[1]);
  });

  it("docs/relying-parties.md: the log line shown is the one the kit writes for a refused key", async () => {
    const { id, key } = await createRelyingParty(server.url, "log-line-rp");
    await fetch(`${server.url}/v1/admin/relying-parties/${id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const lines: string[] = [];
    const verify = createVerifier({ pimsUrl: server.url, apiKey: key, logger: { warn: (line) => lines.push(line) } });
    await verify({ otp: "12345678", accessToken: "pat_x" }).catch(() => undefined);
    expect(lines.map((line) => line.replaceAll(new URL(server.url).origin, "http://127.0.0.1:8080"))).toEqual([
      block(`${RP_DOC}#4`).trim(),
    ]);
  });

  it("docs/relying-parties.md: the RFC 9470 challenge shown is the one the kit sends", async () => {
    const decision = await checkStepUp({}, { authorization: "Bearer pat_x" }, async () => ({ valid: false }), {
      acr: "pims:possession+knowledge",
      maxAge: 60,
    });
    expect(decision.ok).toBe(false);
    const header = decision.ok ? undefined : decision.refusal.headers["www-authenticate"];
    expect(`WWW-Authenticate: ${header}`).toBe(block(`${RP_DOC}#3`).trim());
  });

  it("docs/relying-parties.md: a transaction's verification has the documented shape, and the WebCrypto check shown verifies its evidence (and refuses another VIN)", async () => {
    const { key } = await createRelyingParty(server.url, "transaction-rp");
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    const documented = JSON.parse(block(`${RP_DOC}#5`).replace(/\n\s+/g, " "));
    const transaction = JSON.parse(documented.result.transaction.canonical);
    const { otp } = expectSuccess(
      await pims.get("pims.authentication.otp", { action: "withPIN", pinCode: pin, transaction }),
    ) as { otp: string };
    const { token } = expectSuccess(
      await pims.get("pims.authentication.token", { type: "customerAt", action: "get" }),
    ) as { token: string };
    const valid = await verifyOtp(server.url, key, { otp, accessToken: token, transaction });
    expect(shapeOf(valid.body)).toEqual(shapeOf(documented));
    expect(valid.body.result?.transaction?.canonical).toBe(documented.result.transaction.canonical);
    expect(valid.body.result?.transaction?.publicKey).toMatchObject({ kty: "EC", crv: "P-256" });

    const evidence = valid.body.result?.transaction;
    const forged = { ...evidence, canonical: evidence?.canonical.replace("VF3", "VF4") };
    const dir = join(work, "evidence");
    await mkdir(dir);
    await writeFile(join(dir, "checkEvidence.ts"), block(`${RP_DOC}#6`));
    await writeFile(
      join(dir, "run.ts"),
      `import { checkEvidence } from "./checkEvidence.js";
const [evidence, forged, account, device] = JSON.parse(process.argv[2] ?? "[]");
process.stdout.write(JSON.stringify([
  await checkEvidence(evidence, account, device),
  await checkEvidence(forged, account, device),
  await checkEvidence(evidence, account, "dev_0000000000000000000000"),
]));
`,
    );
    const compiled = await compileStrict(dir);
    expect(compiled.code, compiled.output).toBe(0);
    const args = JSON.stringify([evidence, forged, valid.body.result?.account?.id, valid.body.result?.device]);
    const ran = await run("node", ["out/run.js", args], { cwd: dir });
    expect(ran.code, ran.output).toBe(0);
    expect(JSON.parse(ran.output)).toEqual([true, false, false]);
  });

  it("README: the diagram is a text block (code blocks are tagged with their language)", () => {
    expect(block(`${README}#6`)).toContain("@pims/sdk");
  });

  it("docs/relying-parties.md: an assertion, its header and claims, and the JWK Set have the documented shapes", async () => {
    const { id, key } = await createRelyingParty(server.url, "assertion-doc-rp");
    const account = await enrolledAccount(server.url, "48213579");
    const { otp } = expectSuccess(
      await account.pims.get("pims.authentication.otp", { action: "withPIN", pinCode: account.pin }),
    ) as { otp: string };
    const answer = await verifyOtp(server.url, key, { otp, accessToken: account.token, assertion: "jws" });
    const [documentedAnswer] = jsonLines(block(`${RP_DOC}#7`));
    expect(shapeOf(answer.body)).toEqual(shapeOf(documentedAnswer));

    const jws = answer.body.result?.assertion ?? "";
    const [header, claims] = jws
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()) as Record<string, unknown>);
    const [documentedHeader, documentedClaims] = jsonLines(block(`${RP_DOC}#8`));
    expect(shapeOf(header)).toEqual(shapeOf(documentedHeader));
    expect(shapeOf(claims)).toEqual(shapeOf(documentedClaims));
    expect(header).toMatchObject({ alg: documentedHeader?.alg, typ: documentedHeader?.typ });
    expect(claims).toMatchObject({
      iss: server.url,
      aud: id,
      acr: documentedClaims?.acr,
      amr: documentedClaims?.amr,
      exp: Number(claims?.iat) + 120,
    });

    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    const [documentedSet] = jsonLines(block(`${RP_DOC}#9`));
    expect(shapeOf(jwks)).toEqual(shapeOf(documentedSet));
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
  });

  it("docs/relying-parties.md: the downstream service's check type-checks and tells a good assertion from another relying party's", async () => {
    const mine = await createRelyingParty(server.url, "downstream-rp");
    const theirs = await createRelyingParty(server.url, "other-rp");
    const account = await enrolledAccount(server.url, "48213579");
    const good = await assertionFor(server.url, mine.key, account);
    const foreign = await assertionFor(server.url, theirs.key, account);
    const folder = join(work, "downstream");
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "unlock.ts"), block(`${RP_DOC}#10`).replaceAll("http://127.0.0.1:8080", server.url));
    await writeFile(
      join(folder, "main.ts"),
      [
        'import { unlockAllowed } from "./unlock.js";',
        'const [good = "", foreign = "", rp = ""] = process.argv.slice(2);',
        "process.stdout.write(JSON.stringify([await unlockAllowed(good, rp), await unlockAllowed(foreign, rp)]));",
      ].join("\n"),
    );
    const compiled = await compileStrict(folder);
    expect(compiled.code, compiled.output).toBe(0);
    const ran = await run("node", ["out/main.js", good.jws, foreign.jws, mine.id], { cwd: folder });
    expect(ran.code, ran.output).toBe(0);
    expect(JSON.parse(ran.output.trim())).toEqual([true, false]);
  }, 60_000);
});
