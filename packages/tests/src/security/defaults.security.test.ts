import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createPimsServer, loadConfig } from "@pims/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENROLLMENT, enrollWithShortcut, SMS } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { latestCode, newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Secure defaults and hygiene: what a deployment gets without setting anything. Each test opens
 * with what the attacker tries against a server started with the defaults.
 */
const PINCODE = "pims.authentication.pincode";

describe("common PINs are refused by default", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("the thief of a device tries 1234, 0000, 1111 first: no user could choose them (2102 naming the parameter)", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    expectSuccess(await pims.get(SMS, { type: "phoneNumberCertification", phoneNumber: phone.national }));
    const smsCode = await latestCode(server.url, phone.e164);
    const answers: string[] = [];
    for (const pinCode of ["1234", "0000", "1111"]) {
      const answer = await pims.set(ENROLLMENT, {
        action: "enrollmentWithPhoneNumber",
        pinCode,
        smsCode,
        phoneNumber: phone.national,
      });
      answers.push(answer.status === "FAILED" ? `${pinCode}: ${answer.error.label}` : `${pinCode}: accepted`);
      expectFailure(answer, 2102, "Invalid pinCode parameter");
    }
    console.log(`[figures] S11 with the default settings: ${answers.join("; ")}`);
    const { pin } = await enrollWithShortcut(server.url, pims, "48213579", phone);
    expectFailure(
      await pims.set(PINCODE, { action: "update", oldPIN: pin, newPIN: "0000" }),
      2102,
      "Invalid newPIN parameter",
    );
    expectSuccess(await pims.get(SMS, { type: "resetPIN" }));
    const resetCode = await latestCode(server.url, phone.e164);
    expectFailure(
      await pims.set(PINCODE, { action: "reset", pinCode: "1111", smsCode: resetCode }),
      2102,
      "Invalid pinCode parameter",
    );
  });
});

describe("/metrics in production", () => {
  const production = (extra: Record<string, string> = {}) => ({
    PIMS_MODE: "production",
    PIMS_SECRET_KEY: randomBytes(32).toString("base64url"),
    PIMS_SMS_PROVIDER: "console",
    ...extra,
  });

  it("anyone who reaches the port reads the metrics: production refuses to start without PIMS_METRICS_TOKEN", async () => {
    let refused: unknown;
    try {
      loadConfig(production());
    } catch (error) {
      refused = error;
    }
    console.log(`[figures] production without PIMS_METRICS_TOKEN: ${(refused as Error | undefined)?.message}`);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toContain("PIMS_METRICS_TOKEN is required in production mode");
    // With a token: 2301 without it, the figures with it.
    const server = await startTestServer({ env: production({ PIMS_METRICS_TOKEN: "metrics-token-for-tests" }) });
    try {
      const anonymous = await fetch(`${server.url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: number } }).error.code).toBe(2301);
      const authorized = await fetch(`${server.url}/metrics`, {
        headers: { authorization: "Bearer metrics-token-for-tests" },
      });
      expect(authorized.status).toBe(200);
      expect(await authorized.text()).toContain("pims_requests_total");
    } finally {
      await server.close();
    }
  });
});

describe("files on disk", () => {
  it("another local user reads the database or the key: folder 0700, pims.db, -wal, -shm and secret.key 0600", async () => {
    const previous = process.umask(0o022); // the usual umask: files would be world-readable
    const root = await mkdtemp(join(tmpdir(), "pims-files-"));
    const dataDir = join(root, "data", "nested");
    try {
      const config = loadConfig(
        { PIMS_DATA_DIR: dataDir, PIMS_LOG_LEVEL: "silent", PIMS_DATABASE_URL: `sqlite:${join(dataDir, "pims.db")}` },
        { port: 0, host: "127.0.0.1" },
      );
      const server = await createPimsServer({ config, smsConsole: { write: () => undefined } });
      try {
        const url = await server.listen();
        const pims = await loggedInPims(url); // writes: the WAL and its index exist
        void pims;
        const modes: Record<string, string> = {};
        for (const [name, path] of [
          ["data folder", dataDir],
          ["pims.db", join(dataDir, "pims.db")],
          ["pims.db-wal", join(dataDir, "pims.db-wal")],
          ["pims.db-shm", join(dataDir, "pims.db-shm")],
          ["secret.key", join(dataDir, "secret.key")],
        ] as const) {
          modes[name] = ((await stat(path)).mode & 0o777).toString(8);
        }
        console.log(`[figures] modes under umask 022: ${JSON.stringify(modes)}`);
        expect(modes).toEqual({
          "data folder": "700",
          "pims.db": "600",
          "pims.db-wal": "600",
          "pims.db-shm": "600",
          "secret.key": "600",
        });
      } finally {
        await server.close();
      }
    } finally {
      process.umask(previous);
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("tables that grow", () => {
  const clock = new TestClock();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      clock,
      env: {
        PIMS_SMS_PER_ACCOUNT_HOUR: "10000",
        PIMS_SMS_PER_ACCOUNT_DAY: "100000",
        PIMS_SMS_COOLDOWN: "30",
        PIMS_ACCESS_TOKEN_TTL: "86400",
        PIMS_REFRESH_TOKEN_TTL: "31536000",
      },
    });
  });
  afterAll(() => server.close());

  it("a script sends thousands of requests over five days: rate_limits, sms_codes and sms_cooldowns stay bounded", {
    timeout: 180_000,
  }, async () => {
    const { pims } = await loggedInPims(server.url);
    const { db } = server.server.services;
    const count = async (table: "rate_limits" | "sms_codes" | "sms_cooldowns") =>
      Number((await db.selectFrom(table).select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const peaks = { rate_limits: 0, sms_codes: 0, sms_cooldowns: 0 };
    let requests = 0;
    // 1000 requests, 50 each 6 hours: 5 days. Each one a new number (its own quota rows, code, cooldown).
    // Why 50 is enough: a day window lives 24 h, so the purge keeps at most 4 batches of day rows,
    // 4 × 50 = 200, + 10 for the account's own rows: the bound 210. Without the purge each number keeps
    // its hour and its day row: 100 more rows a batch, 307 after the third, 2007 at the end (measured).
    // A purge that kept one 6-hour batch too many would peak at 5 × 50 = 250 > 210: still caught.
    const PER_BATCH = 50;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: PER_BATCH }, () =>
          pims.get(SMS, { type: "phoneNumberCertification", phoneNumber: newPhone().national }),
        ),
      );
      requests += PER_BATCH;
      clock.advance(6 * 3_600_000);
      await server.server.purgeExpired();
      for (const table of ["rate_limits", "sms_codes", "sms_cooldowns"] as const) {
        peaks[table] = Math.max(peaks[table], await count(table));
      }
    }
    console.log(`[figures] ${requests} S5 over 5 days, purged as the server does: peak rows ${JSON.stringify(peaks)}`);
    // What can still matter: day windows of the last 24 h (4 batches × PER_BATCH numbers), nothing older.
    expect(peaks.rate_limits).toBeLessThanOrEqual(4 * PER_BATCH + 10);
    expect(peaks.sms_codes).toBe(0);
    expect(peaks.sms_cooldowns).toBe(0);
  });
});

describe("errors at the HTTP parser level", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /** Sends raw bytes; returns the status line and the parsed body. */
  function raw(text: string): Promise<{ status: number; body: unknown }> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write(text));
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString("utf8");
      });
      socket.on("error", reject);
      socket.on("close", () => {
        const [head = "", ...rest] = received.split("\r\n\r\n");
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        const text = rest.join("\r\n\r\n");
        try {
          resolve({ status, body: JSON.parse(text) });
        } catch {
          resolve({ status, body: text });
        }
      });
      setTimeout(() => socket.end(), 1500);
    });
  }

  const cases: [string, string][] = [
    [
      "OPTIONS with a JSON body",
      "OPTIONS /v1/phone/trusted HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    ],
    [
      "OPTIONS with a text body",
      "OPTIONS / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
    ],
    ["a URL that is not valid percent-encoding", "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ["a request line that is not HTTP", "GARBAGE\r\n\r\n"],
    [
      "Content-Length with Transfer-Encoding",
      "POST /v1/rp/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}",
    ],
    [
      "headers over the limit",
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: ${"a".repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    ],
    [
      "a body with no content type",
      "POST /v1/rp/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
    ],
  ];

  it("OPTIONS with a body, a bad URL, a malformed request, oversized headers…: each in the message shape with a catalogue code, never Fastify's default", async () => {
    for (const [label, request] of cases) {
      const answer = await raw(request);
      console.log(`[figures] ${label}: ${answer.status} ${JSON.stringify(answer.body)}`);
      expect(answer.status, label).toBeGreaterThanOrEqual(400);
      expect(answer.body, label).toMatchObject({
        status: "FAILED",
        error: { code: expect.any(Number), label: expect.any(String) },
      });
      expect([2002, 2102], label).toContain((answer.body as { error: { code: number } }).error.code);
      expect(JSON.stringify(answer.body), label).not.toMatch(/statusCode|FST_|Bad Request"|Client Error/);
    }
  });
});
