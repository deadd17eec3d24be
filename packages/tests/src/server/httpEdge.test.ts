import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/** Bad requests at the HTTP edge: a JSON error with a catalogue code, never a stack trace. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers, body });
  const text = await response.text();
  expect(text).not.toMatch(/at [\w.]+ \(|node_modules|\.ts:\d+|stack/i);
  return { status: response.status, body: JSON.parse(text) as unknown };
}

describe("the HTTP edge", () => {
  it("malformed JSON → 400, 2102 body", async () => {
    expect(await post("/v1/user/login", '{"login":"a","password":')).toEqual({
      status: 400,
      body: { status: "FAILED", error: { code: 2102, label: "Invalid body parameter" } },
    });
  });

  it("a body over 16 KiB → 413, 2102 body", async () => {
    const big = JSON.stringify({ login: "alice", password: "x".repeat(20_000) });
    expect(await post("/v1/user/login", big)).toMatchObject({ status: 413, body: { error: { code: 2102 } } });
  });

  it("a body that is JSON but not an object → 400, 2102 body", async () => {
    expect(await post("/v1/user/login", "[1,2]")).toMatchObject({ status: 400, body: { error: { code: 2102 } } });
    expect(await post("/v1/user/login", '"text"')).toMatchObject({ status: 400, body: { error: { code: 2102 } } });
  });

  it("a content type other than JSON → 415, 2102 body", async () => {
    expect(
      await post("/v1/user/login", "login=a", { "content-type": "application/x-www-form-urlencoded" }),
    ).toMatchObject({
      status: 415,
      body: { error: { code: 2102 } },
    });
  });

  it("a prototype-poisoning body → 400, 2102 body", async () => {
    expect(await post("/v1/user/login", '{"__proto__":{"admin":true},"login":"a","password":"b"}')).toMatchObject({
      status: 400,
      body: { error: { code: 2102 } },
    });
  });

  it("an unknown route, or a known route with another method → 404, 2002", async () => {
    expect(await post("/v1/nothing", "{}")).toEqual({
      status: 404,
      body: { status: "FAILED", error: { code: 2002, label: "API not supported" } },
    });
    const get = await fetch(`${server.url}/v1/user/login`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: { code: 2002 } });
  });

  it("a protocol version the server does not speak → 2309", async () => {
    expect(
      await post("/v1/user/login", '{"login":"alice","password":"x"}', {
        "content-type": "application/json",
        "pims-protocol": "99",
      }),
    ).toEqual({ status: 400, body: { status: "FAILED", error: { code: 2309, label: "inwebo: version error" } } });
  });

  it("/health answers ok with the engine", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "sqlite", checks: { database: "ok" } });
  });

  it("logs no request body, even a malformed one", async () => {
    await post("/v1/user/login", '{"login":"x","password":"hunter2-secret-password"');
    expect(server.logs.join("")).not.toContain("hunter2-secret-password");
  });
});
