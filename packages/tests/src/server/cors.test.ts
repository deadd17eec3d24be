import { HEADERS } from "@pims/protocol";
import { ConfigError, loadConfig } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * Cross-origin access at the HTTP level (the browser suite drives it from a real page): only the
 * configured origins, only the SDK's routes, method and headers, never a wildcard or credentials.
 */
const APP = "http://app.example.test:8443";
const OTHER = "https://evil.example.test";
/** What the SDK sends on a signed call (callServer + signRequest + session). */
const SDK_HEADERS = [
  "content-type",
  "authorization",
  HEADERS.protocol,
  HEADERS.transactionId,
  HEADERS.deviceId,
  HEADERS.timestamp,
  HEADERS.nonce,
  HEADERS.signature,
  HEADERS.deviceKey,
];

describe("PIMS_CORS_ORIGINS", () => {
  const load = (origins: string, mode = "development") =>
    loadConfig({
      PIMS_CORS_ORIGINS: origins,
      PIMS_MODE: mode,
      PIMS_SECRET_KEY: "k".repeat(43),
      PIMS_METRICS_TOKEN: "metrics-token-for-tests",
      PIMS_SMS_PROVIDER: "console",
    });

  it("keeps exact origins, normalized, without duplicates; none by default", () => {
    expect(load("https://App.example.com, http://127.0.0.1:5173,https://app.example.com").cors).toEqual({
      origins: ["https://app.example.com", "http://127.0.0.1:5173"],
      maxAgeSeconds: 7200,
    });
    expect(loadConfig({}).cors.origins).toEqual([]);
  });

  it.each([
    ["*", "wildcards are not allowed"],
    ["https://*.example.com", "wildcards are not allowed"],
    ["https://app.example.com/", "did you mean https://app.example.com?"],
    ["https://app.example.com/login", "did you mean https://app.example.com?"],
    ["https://app.example.com:443", "did you mean https://app.example.com?"],
    ["app.example.com", "not a URL"],
    ["ftp://app.example.com", "the scheme must be https: or http:"],
    ["null", "not a URL"],
  ])("refuses %s, saying why", (value, why) => {
    expect(() => load(value)).toThrow(ConfigError);
    expect(() => load(value)).toThrow(why);
  });

  it("in production, refuses an http: origin unless it is a loopback address", () => {
    expect(() => load("http://app.example.com", "production")).toThrow("in production an origin must be https:");
    expect(load("http://localhost:3000", "production").cors.origins).toEqual(["http://localhost:3000"]);
  });
});

describe("CORS on the SDK's routes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { PIMS_CORS_ORIGINS: `${APP},https://second.example.test` } });
  });
  afterAll(() => server.close());

  const preflight = (path: string, origin: string, headers = SDK_HEADERS.join(","), method = "POST") =>
    fetch(`${server.url}${path}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
    });

  it("answers a preflight from a configured origin: that origin, POST, the SDK's headers, cached, no credentials", async () => {
    for (const path of ["/v1/otp/with-pin", "/v1/user/login", "/v1/user/refresh", "/v1/enrollment/enroll"]) {
      const response = await preflight(path, APP);
      expect(response.status, path).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP);
      expect(response.headers.get("access-control-allow-methods")).toBe("POST");
      const allowed = (response.headers.get("access-control-allow-headers") ?? "").split(", ");
      for (const header of SDK_HEADERS) expect(allowed, header).toContain(header);
      expect(response.headers.get("access-control-max-age")).toBe("7200");
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      expect(response.headers.get("vary")).toContain("Origin");
    }
    expect((await preflight("/v1/user/login", "https://second.example.test")).status).toBe(204);
  });

  it("refuses a preflight from an origin not on the list, in the message shape, with no CORS header", async () => {
    for (const origin of [OTHER, "null", "http://app.example.test", `${APP}.evil.test`]) {
      const response = await preflight("/v1/otp/with-pin", origin);
      expect(response.status, origin).toBe(403);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(await response.json()).toEqual({
        status: "FAILED",
        error: { code: 2102, label: "Invalid Origin parameter" },
      });
    }
  });

  it("refuses a preflight for a header or a method the SDK does not use", async () => {
    const header = await preflight("/v1/otp/with-pin", APP, `${SDK_HEADERS.join(",")},x-forwarded-for`);
    expect(header.status).toBe(403);
    expect(((await header.json()) as { error: { label: string } }).error.label).toBe(
      "Invalid Access-Control-Request-Headers parameter",
    );
    const method = await preflight("/v1/otp/with-pin", APP, "content-type", "DELETE");
    expect(method.status).toBe(403);
    expect(method.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("offers no route but the SDK's: relying-party verification, admin, metrics stay closed to pages", async () => {
    for (const path of ["/v1/rp/verify", "/metrics", "/openapi.json", "/health"]) {
      const response = await preflight(path, APP);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("access-control-allow-origin"), path).toBeNull();
    }
    const verify = await fetch(`${server.url}/v1/rp/verify`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: "{}",
    });
    expect(verify.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a configured origin read the answer and the headers the SDK reads; not another origin", async () => {
    const call = (origin: string) =>
      fetch(`${server.url}/v1/user/login`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ login: "nobody-here", password: "wrong password" }),
      });
    const allowed = await call(APP);
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP);
    expect(allowed.headers.get("access-control-expose-headers")).toBe(`${HEADERS.serverTime}, pims-error-code`);
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
    expect(allowed.headers.get("vary")).toContain("Origin");
    const other = await call(OTHER);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("access-control-expose-headers")).toBeNull();
    expect(other.headers.get("vary")).toContain("Origin");
  });
});

describe("CORS without PIMS_CORS_ORIGINS", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("allows no cross-origin page at all", async () => {
    const response = await fetch(`${server.url}/v1/user/login`, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
