import { createHmac } from "node:crypto";
import { requestPhoneCertificationCode } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { readBody, startFakeTwilio } from "../support/fakeTwilio.js";
import { rawServer } from "../support/rawServers.js";
import { newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

describe("webhook provider, against a local receiver", () => {
  const received: Received[] = [];
  let answer = 200;
  let receiver: Awaited<ReturnType<typeof rawServer>>;
  let server: TestServer;
  beforeAll(async () => {
    receiver = await rawServer(async (req, res) => {
      received.push({ headers: req.headers, body: await readBody(req) });
      res.writeHead(answer);
      res.end();
    });
    server = await startTestServer({
      env: {
        PIMS_MODE: "development",
        PIMS_SMS_PROVIDER: "webhook",
        PIMS_SMS_WEBHOOK_URL: `${receiver.url}/sms`,
        PIMS_SMS_WEBHOOK_SECRET: "receiver-shared-secret",
        PIMS_SMS_RETRIES: "2",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it("posts {to, body} as JSON, signed with the shared secret", async () => {
    received.length = 0;
    answer = 200;
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
    );
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.headers["content-type"]).toBe("application/json");
    const payload = JSON.parse(request.body) as { to: string; body: string };
    expect(Object.keys(payload).sort()).toEqual(["body", "to"]);
    expect(payload.to).toBe(phone.e164);
    expect(payload.body).toMatch(/^\d{6} is your Pims code/);
    const timestamp = request.headers["pims-timestamp"] as string;
    const expected = createHmac("sha256", "receiver-shared-secret")
      .update(`${timestamp}.${request.body}`)
      .digest("hex");
    expect(request.headers["pims-signature"]).toBe(`sha256=${expected}`);
  });

  it("retries a 503 a bounded number of times, then answers 2204 and keeps nothing", async () => {
    received.length = 0;
    answer = 503;
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    expectFailure(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
      2204,
      "Server Error",
    );
    expect(received).toHaveLength(3);
    const { db } = server.server.services;
    expect(await db.selectFrom("sms_codes").selectAll().where("phone_e164", "=", phone.e164).execute()).toEqual([]);
    // Whatever holds the counters (database or Redis), the failed send counted nothing.
    const { counters } = server.server.services;
    expect(await counters.peek(`sms:phone:h:${phone.e164}`, 3_600_000)).toBe(0);
    expect(await counters.peek(`sms:phone:d:${phone.e164}`, 86_400_000)).toBe(0);
    // Not counted as sent: once the operator is back, the number is served at once.
    answer = 200;
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
    );
  });

  it("does not retry a 400 (the operator refused the message)", async () => {
    received.length = 0;
    answer = 400;
    const { pims } = await loggedInPims(server.url);
    expectFailure(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: newPhone().national,
      }),
      2204,
    );
    expect(received).toHaveLength(1);
  });

  it("logs the failure without the number or the code", async () => {
    const text = server.logs.join("\n");
    expect(text).toContain("SMS delivery failed");
    expect(text).not.toMatch(/\+33\d{9}/);
    expect(text).not.toMatch(/\d{6} is your Pims code/);
  });
});

describe("webhook provider, receiver unreachable or too slow", () => {
  it("answers 2204 after the timeout", async () => {
    const silent = await rawServer(() => undefined);
    const server = await startTestServer({
      env: {
        PIMS_MODE: "development",
        PIMS_SMS_PROVIDER: "webhook",
        PIMS_SMS_WEBHOOK_URL: silent.url,
        PIMS_SMS_TIMEOUT_MS: "200",
        PIMS_SMS_RETRIES: "1",
      },
    });
    try {
      const { pims } = await loggedInPims(server.url);
      const started = Date.now();
      expectFailure(
        await pims.get(requestPhoneCertificationCode.api, {
          type: "phoneNumberCertification",
          phoneNumber: newPhone().national,
        }),
        2204,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.close();
      await silent.close();
    }
  });
});

describe("Twilio provider, against a local fake of its API", () => {
  const credentials = { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "twilio-auth-token" };
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;
  let server: TestServer;
  beforeAll(async () => {
    twilio = await startFakeTwilio(credentials);
    server = await startTestServer({
      env: {
        PIMS_MODE: "development",
        PIMS_SMS_PROVIDER: "twilio",
        PIMS_TWILIO_BASE_URL: twilio.url,
        PIMS_TWILIO_ACCOUNT_SID: credentials.accountSid,
        PIMS_TWILIO_AUTH_TOKEN: credentials.authToken,
        PIMS_TWILIO_FROM: "+15005550006",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await twilio.close();
  });

  it("sends through the Messages API with Basic auth and a form body", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
    );
    const call = twilio.received.at(-1);
    expect(call?.to).toBe(phone.e164);
    expect(call?.from).toBe("+15005550006");
    expect(call?.body).toMatch(/^\d{6} is your Pims code/);
  });

  it("retries Twilio's 503 and succeeds", async () => {
    twilio.failNext(1);
    const { pims } = await loggedInPims(server.url);
    const before = twilio.received.length;
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: newPhone().national,
      }),
    );
    expect(twilio.received.length).toBe(before + 1);
  });

  it("answers 2204 when Twilio refuses the credentials", async () => {
    const wrong = await startTestServer({
      env: {
        PIMS_MODE: "development",
        PIMS_SMS_PROVIDER: "twilio",
        PIMS_TWILIO_BASE_URL: twilio.url,
        PIMS_TWILIO_ACCOUNT_SID: credentials.accountSid,
        PIMS_TWILIO_AUTH_TOKEN: "not-the-token",
        PIMS_TWILIO_FROM: "+15005550006",
      },
    });
    try {
      const { pims } = await loggedInPims(wrong.url);
      expectFailure(
        await pims.get(requestPhoneCertificationCode.api, {
          type: "phoneNumberCertification",
          phoneNumber: newPhone().national,
        }),
        2204,
      );
      expect(wrong.logs.join("")).not.toContain("not-the-token");
    } finally {
      await wrong.close();
    }
  });
});

describe("development inbox", () => {
  it("exists in development mode and not in production mode", async () => {
    const production = await startTestServer({
      env: { PIMS_MODE: "production", PIMS_SMS_PROVIDER: "console", PIMS_METRICS_TOKEN: "metrics-token-for-tests" },
    });
    try {
      const { pims } = await loggedInPims(production.url);
      expectSuccess(
        await pims.get(requestPhoneCertificationCode.api, {
          type: "phoneNumberCertification",
          phoneNumber: newPhone().national,
        }),
      );
      const response = await fetch(`${production.url}/dev/sms`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 2002 } });
      expect(production.server.services.smsInbox).toBeUndefined();
      expect(production.smsConsole.join("")).toMatch(/\[pims sms\] to \+336\d{8}: \d{6} is your Pims code/);
    } finally {
      await production.close();
    }
  });
});
