import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../support/relyingParty.js";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * `GET /openapi.json` is a document a generator can use: it passes Redocly's `recommended`
 * ruleset with no error and no warning, and openapi-typescript makes a client of it whose use
 * type-checks (strict) and whose calls the real server answers as the types say.
 */
const run = promisify(execFile);
let server: TestServer;
let document: Record<string, unknown>;
let folder: string;

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, unknown>;
  folder = await mkdtemp(join(tmpdir(), "pims-openapi-"));
});
afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

describe("the OpenAPI document", () => {
  it("passes Redocly's recommended ruleset with no error and no warning", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: `${server.url}/openapi.json`,
      config,
    });
    const found = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(found).toEqual([]);
  });

  it("documents every operation's FAILED answers, per HTTP status, with the message schema and codes", () => {
    const paths = document.paths as Record<string, Record<string, Operation>>;
    const operations = Object.values(paths).flatMap((methods) => Object.values(methods));
    expect(operations.length).toBeGreaterThanOrEqual(35);
    for (const operation of operations) {
      const statuses = Object.keys(operation.responses).filter((s) => /^[45]\d\d$/.test(s));
      expect(
        statuses.some((s) => s.startsWith("4")),
        operation.operationId,
      ).toBe(true);
      for (const status of statuses) {
        const schema = operation.responses[status]?.content?.["application/json"]?.schema;
        if (status === "503" && operation.operationId === "health") continue;
        expect(schema?.allOf?.[0], `${operation.operationId} ${status}`).toEqual({
          $ref: "#/components/schemas/Failure",
        });
        expect(schema?.allOf?.[1]?.properties?.error?.properties?.code?.enum?.length).toBeGreaterThan(0);
      }
    }
    const login = paths["/v1/user/login"]?.post;
    expect(login?.security).toEqual([]);
    expect(login?.responses["429"]?.description).toContain("2383");
    expect(paths["/v1/otp/with-pin"]?.post?.responses["403"]?.description).toContain("2308 inwebo: access refused");
    expect(paths["/v1/admin/accounts/{id}"]?.get?.security).toEqual([{ adminKey: [] }]);
  });

  it("generates a typed client (openapi-typescript) whose use type-checks strictly, and runs against the server", async () => {
    const types = astToString(await openapiTS(document as never));
    await writeFile(join(folder, "api.ts"), types);
    await writeFile(join(folder, "client.ts"), CLIENT);
    await writeFile(
      join(folder, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2022", "dom"],
          types: [],
          outDir: "out",
          skipLibCheck: true,
        },
        files: ["client.ts"],
      }),
    );
    await writeFile(join(folder, "package.json"), JSON.stringify({ type: "module" }));
    const tsc = join(REPOSITORY_ROOT, "node_modules", "typescript", "bin", "tsc");
    const compiled = await run(process.execPath, [tsc, "-p", folder]).catch((error: { stdout: string }) => error);
    expect(compiled.stdout).toBe("");
    const { stdout } = await run(process.execPath, [join(folder, "out", "client.js"), server.url, ADMIN_KEY]);
    expect(JSON.parse(stdout)).toEqual({
      created: "SUCCEEDED",
      username: expect.stringMatching(/^typed-/),
      refused: 2307,
      adminFound: 1,
      adminMissing: 2102,
    });
  }, 60_000);

  it("the typed client's negative cases are real type errors (the types are not `any`)", async () => {
    // client.ts carries @ts-expect-error lines; were the types `any`, tsc would report them unused.
    expect(CLIENT.match(/@ts-expect-error/g)).toHaveLength(3);
  });
});

interface Operation {
  operationId: string;
  security?: unknown;
  responses: Record<
    string,
    {
      description: string;
      content?: Record<
        string,
        {
          schema?: {
            allOf?: [{ $ref: string }, { properties?: { error?: { properties?: { code?: { enum?: number[] } } } } }];
          };
        }
      >;
    }
  >;
}

/** A small app over the generated types: only what a generator gives, no Pims package. */
const CLIENT = `
import type { paths } from "./api.js";

declare const process: { argv: string[]; stdout: { write(text: string): void } };

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Post<P extends keyof paths> = paths[P] extends { post: infer O } ? O : never;
type Body<P extends keyof paths> = Post<P> extends { requestBody: infer R } ? Json<R> : never;
type Answer<P extends keyof paths> = Post<P> extends { responses: infer R } ? Json<R[keyof R]> : never;

async function post<P extends keyof paths>(base: string, path: P, body: Body<P>, token?: string): Promise<Answer<P>> {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Answer<P>;
}

type Find = paths["/v1/admin/accounts"]["get"];
type FindQuery = Find["parameters"]["query"];
type FindAnswer = Json<Find["responses"][200]> | Json<Find["responses"][400]>;
type ShowAnswer = Json<paths["/v1/admin/accounts/{id}"]["get"]["responses"][400]>;

const [base = "", adminKey = ""] = process.argv.slice(2);
const login = "typed-" + Date.now().toString(36);
const created = await post(base, "/v1/user/create-account", { login, password: "a typed client's password" });
if (created.status !== "SUCCEEDED") throw new Error("createAccount: " + created.error.code);
const token: string | undefined = created.result.accessToken;
const name = await post(base, "/v1/account/username", {}, token);
const username: string = name.status === "SUCCEEDED" ? name.result.username : "";
const sms = await post(base, "/v1/sms/enrollment", {}, token);
const refused: number = sms.status === "FAILED" ? sms.error.code : 0;

const query: FindQuery = { query: login };
const found = (await (
  await fetch(base + "/v1/admin/accounts?query=" + encodeURIComponent(query.query), {
    headers: { authorization: "Bearer " + adminKey },
  })
).json()) as FindAnswer;
const adminFound: number = found.status === "SUCCEEDED" ? found.result.accounts.length : -1;
const missing = (await (
  await fetch(base + "/v1/admin/accounts/acc_missing", { headers: { authorization: "Bearer " + adminKey } })
).json()) as ShowAnswer;
const adminMissing: number = missing.error.code;

// @ts-expect-error: createAccount has no pinCode parameter
await post(base, "/v1/user/create-account", { login, password: "x", pinCode: "1234" });
// @ts-expect-error: no such path
await post(base, "/v1/user/fly", {});
// @ts-expect-error: a FAILED answer has no result
void created.error;

process.stdout.write(JSON.stringify({ created: created.status, username, refused, adminFound, adminMissing }));
`;
