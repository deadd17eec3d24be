import { otpWithPin, requestPhoneCertificationCode } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { withAuditRefused } from "../support/onDatabase.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { newPhone } from "../support/sms.js";
import { startTestServer, TEST_ENGINE, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

const METRICS_TOKEN = "metrics-token-for-tests";
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_METRICS_TOKEN: METRICS_TOKEN } });
});
afterAll(() => server.close());

async function scrape(url = server.url): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const values = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]));
  }
  return values;
}

describe("GET /metrics", () => {
  it("counts what committed only: an SMS code, or an OTP, whose transaction failed counts nothing", async () => {
    // The failure: the database refuses a send's or an issue's audit row (a trigger stands for any
    // failure at that write). On PostgreSQL that write is sent late, at the commit (decision
    // 0032), after the metrics were told of it: they must not count a code or an OTP never stored.
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims, "73051946");
    const before = await scrape();
    const sent = await withAuditRefused(server, "new.event = 'sms.send' and new.outcome = 'success'", () =>
      pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: newPhone().national,
      }),
    );
    expectFailure(sent, 2204);
    const issued = await withAuditRefused(server, "new.event = 'otp.issue'", () =>
      pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin }),
    );
    expectFailure(issued, 2204);
    const after = await scrape();
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(grew('pims_sms_total{tenant="default",event="sent"}')).toBe(0);
    expect(grew('pims_otps_total{tenant="default",event="issued"}')).toBe(0);
    // What did commit still counts.
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin }));
    expect((await scrape()).get('pims_otps_total{tenant="default",event="issued"}')).toBe(
      (after.get('pims_otps_total{tenant="default",event="issued"}') ?? 0) + 1,
    );
  });

  it("counts requests by operation and outcome, OTPs, SMS, lockouts; shows latencies and memory", async () => {
    const before = await scrape();
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims, "73051946");
    const rp = await createRelyingParty(server.url);
    const token = await accessToken(pims);
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    await verifyOtp(server.url, rp.key, { otp, accessToken: token });
    await verifyOtp(server.url, rp.key, { otp, accessToken: token });
    for (let i = 0; i < 5; i++) await pims.get(otpWithPin.api, { action: "withPIN", pinCode: `9090909${i}` });

    const after = await scrape();
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(grew('pims_requests_total{tenant="default",operation="user.createAccount",outcome="SUCCEEDED"}')).toBe(1);
    expect(grew('pims_requests_total{tenant="default",operation="otp.withPIN",outcome="2308"}')).toBe(5);
    expect(grew('pims_otps_total{tenant="default",event="issued"}')).toBe(1);
    expect(grew('pims_otps_total{tenant="default",event="verified"}')).toBe(1);
    expect(grew('pims_otps_total{tenant="default",event="refused"}')).toBe(1);
    expect(grew('pims_sms_total{tenant="default",event="sent"}')).toBe(1);
    expect(grew('pims_lockouts_total{tenant="default",event="blocked"}')).toBe(1);
    expect(
      after.get('pims_request_duration_seconds_count{tenant="default",operation="otp.withPIN"}'),
    ).toBeGreaterThanOrEqual(6);
    expect(after.get("pims_process_resident_memory_bytes")).toBeGreaterThan(0);
    if (TEST_ENGINE === "postgres") {
      expect(after.get('pims_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    } else {
      expect(after.has('pims_db_pool_connections{state="total"}')).toBe(false);
    }
  });

  it("counts a resend within the cooldown (2005) apart from a quota refusal (2383)", async () => {
    const guarded = await startTestServer({
      env: { PIMS_METRICS_TOKEN: METRICS_TOKEN, PIMS_SMS_COOLDOWN: "30", PIMS_SMS_PER_ACCOUNT_HOUR: "2" },
    });
    try {
      const { pims } = await loggedInPims(guarded.url);
      const ask = (phone: { national: string }) =>
        pims.get(requestPhoneCertificationCode.api, { type: "phoneNumberCertification", phoneNumber: phone.national });
      const [first, second, third] = [newPhone(), newPhone(), newPhone()];
      expectSuccess(await ask(first));
      expectFailure(await ask(first), 2005);
      expectFailure(await ask(first), 2005);
      expectSuccess(await ask(second));
      expectFailure(await ask(third), 2383);
      const values = await scrape(guarded.url);
      expect(values.get('pims_sms_total{tenant="default",event="sent"}')).toBe(2);
      expect(values.get('pims_sms_total{tenant="default",event="cooldown"}')).toBe(2);
      expect(values.get('pims_sms_total{tenant="default",event="refused"}')).toBe(1);
    } finally {
      await guarded.close();
    }
  });

  it("asks for the metrics token when one is set", async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe(2301);
  });
});
