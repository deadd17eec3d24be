import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError, ERROR_CATALOGUE, OPERATIONS } from "@pims/protocol";
import { AUDIT_EVENTS, auditEventsPage, operationPages } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../support/relyingParty.js";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/** Documentation generated from the declarations cannot drift from them. */
describe("docs/operations", () => {
  it("is what `npm run docs` generates from the current declarations", async () => {
    const folder = join(REPOSITORY_ROOT, "docs", "operations");
    const expected = operationPages();
    expect((await readdir(folder)).sort()).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      expect(await readFile(join(folder, name), "utf8"), `${name} is out of date: run npm run docs`).toBe(content);
    }
  });
});

describe("docs/operations/errors.md", () => {
  it("lists every catalogue code with the vendor's label and the plain meaning beside it", async () => {
    const page = await readFile(join(REPOSITORY_ROOT, "docs", "operations", "errors.md"), "utf8");
    for (const [code, row] of Object.entries(ERROR_CATALOGUE)) {
      expect(page, code).toContain(`| ${code} | ${row.label} | ${describeError(Number(code))} |`);
    }
    const s15 = await readFile(join(REPOSITORY_ROOT, "docs", "operations", "S15-otp.withPIN.md"), "utf8");
    expect(s15).toContain(`| 2313 | ${ERROR_CATALOGUE[2313].label} | ${describeError(2313)} |`);
  });
});

describe("docs/audit-events.md", () => {
  it("is what `npm run docs` generates from the audit event catalogue, a section per event", async () => {
    const page = await readFile(join(REPOSITORY_ROOT, "docs", "audit-events.md"), "utf8");
    expect(page, "docs/audit-events.md is out of date: run npm run docs").toBe(auditEventsPage());
    for (const [name, event] of Object.entries(AUDIT_EVENTS)) {
      expect(page, name).toContain(`## \`${name}\`\n\n${event.description}\n`);
    }
    expect(page).toContain("| `revokedOtps` | number | Live OTPs that died with the change. |");
  });
});

describe("GET /openapi.json", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  });
  afterAll(() => server.close());

  it("describes every operation route, with its parameters and documented errors", async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, { post?: PostObject }> };
    expect(document.openapi).toBe("3.1.0");
    for (const op of OPERATIONS.filter((o) => o.path !== null)) {
      const post = document.paths[op.path as string]?.post;
      expect(post?.operationId, op.id).toBe(op.name);
      const properties = post?.requestBody.content["application/json"]?.schema.properties ?? {};
      expect(Object.keys(properties).sort(), op.id).toEqual(op.params.map((p) => p.name).sort());
      expect(post?.responses["500"]?.description, op.id).toContain("2000 Unknown error");
      expect(post?.responses["415"]?.description, op.id).toContain(
        "2102 Invalid [PARAMETER] parameter (`body`: not `application/json`)",
      );
    }
    expect(document.paths["/v1/rp/verify"]).toBeDefined();
  });

  it("describes the routes the server really has: each path answers, none with 404", async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) {
        const response = await fetch(`${server.url}${path.replace("{id}", "x")}`, {
          method: method.toUpperCase(),
          ...(method === "post" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}),
        });
        expect(response.status, `${method} ${path}`).not.toBe(404);
      }
    }
  });
});

interface PostObject {
  operationId: string;
  requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
  responses: Record<string, { description: string }>;
}
