import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The demo page asks (`pims-failure-status: 200`) for FAILED messages with HTTP 200, so that the
 * browser does not log each expected 4xx as an error. Development mode only; the code, the label
 * and the real status stay in the answer.
 */
const loginCall = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/user/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ login: "nobody-at-all", password: "wrong password" }),
  });

describe("the demo's quiet failures", () => {
  let development: TestServer;
  let production: TestServer;
  beforeAll(async () => {
    development = await startTestServer();
    production = await startTestServer({
      env: { PIMS_MODE: "production", PIMS_SMS_PROVIDER: "console", PIMS_METRICS_TOKEN: "metrics-token-for-tests" },
    });
  });
  afterAll(async () => {
    await development?.close();
    await production?.close();
  });

  it("answers a FAILED message with 200 when asked, keeping code, label and the real status", async () => {
    const response = await loginCall(development.url, { "pims-failure-status": "200" });
    expect(response.status).toBe(200);
    expect(response.headers.get("pims-status")).toBe("401");
    expect(response.headers.get("pims-error-code")).toBe("2401");
    expect(await response.json()).toEqual({
      status: "FAILED",
      error: { code: 2401, label: "Invalid login or password" },
    });
  });

  it("keeps the catalogue status without the header and for any other value", async () => {
    expect((await loginCall(development.url)).status).toBe(401);
    expect((await loginCall(development.url, { "pims-failure-status": "204" })).status).toBe(401);
  });

  it("leaves the other routes alone (the relying-party API keeps its 401)", async () => {
    const response = await fetch(`${development.url}/v1/rp/verify`, {
      method: "POST",
      headers: { "content-type": "application/json", "pims-failure-status": "200" },
      body: JSON.stringify({ otp: "12345678", account: "acc_x" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("pims-status")).toBeNull();
  });

  it("does nothing in production mode", async () => {
    const response = await loginCall(production.url, { "pims-failure-status": "200" });
    expect(response.status).toBe(401);
    expect(response.headers.get("pims-status")).toBeNull();
  });
});
