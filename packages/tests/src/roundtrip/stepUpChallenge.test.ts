import { otpWithoutPin, otpWithPin, readStepUpChallenge, resetPin, updatePin } from "@pims/protocol";
import { stepUpMiddleware } from "@pims/relying-party/express";
import { memoryStore, type Pims, strongAuthenticationRequest } from "@pims/sdk";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { listenOnLoopback } from "../support/listen.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, resetPinCode } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Step-up as RFC 9470 says it, through the real SDK, a real Pims and a real Express relying party:
 * the challenge header beside the vendor's 2302 body, levels (`acr_values`), freshness (`max_age`),
 * and what the verification reports (`acr`, `amr`, `auth_time`).
 */
let server: TestServer;
let app: { url: string; close(): Promise<void> };
/** The relying party's clock: tests move it to age a proof without waiting. */
let rpNow = () => Date.now();

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_SMS_COOLDOWN: "0" } });
  const { key } = await createRelyingParty(server.url);
  const application = express();
  const now = () => rpNow();
  application.post(
    "/unlock",
    stepUpMiddleware({ pimsUrl: server.url, apiKey: key, acr: "pims:possession+knowledge", maxAge: 60, now }),
    (req, res) => res.json(req.pims),
  );
  application.get(
    "/status",
    stepUpMiddleware({ pimsUrl: server.url, apiKey: key, acr: "pims:possession" }),
    (req, res) => res.json(req.pims),
  );
  app = await listenOnLoopback(application);
});
afterAll(async () => {
  await app.close();
  await server.close();
});

async function enrolledUser(): Promise<{ pims: Pims; pin: string; phone: { national: string; e164: string } }> {
  const { pims } = await loggedInPims(server.url, memoryStore(), [app.url]);
  const { pin, phone } = await enrollWithShortcut(server.url, pims, "46802571");
  return { pims, pin, phone };
}

const unlock = (pims: Pims) => pims.fetch(`${app.url}/unlock`, { method: "POST" });
const withPin = (pims: Pims, pin: string) => pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin });
const withoutPin = (pims: Pims) => pims.get(otpWithoutPin.api, { action: "withoutPIN" });

describe("the RFC 9470 challenge", () => {
  it("answers 401 with the vendor's 2302 body and WWW-Authenticate naming the level and max_age", async () => {
    const { pims } = await enrolledUser();
    const refused = await unlock(pims);
    expect(refused.status).toBe(401);
    const header = refused.headers.get("www-authenticate");
    expect(header).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+"/);
    expect(readStepUpChallenge(header)).toMatchObject({ acrValues: ["pims:possession+knowledge"], maxAge: 60 });
    // The SDK reads both forms and says what is asked.
    expect(await strongAuthenticationRequest(refused)).toEqual({
      acrValues: ["pims:possession+knowledge"],
      withPin: true,
      maxAge: 60,
    });
    expect(await refused.json()).toMatchObject({ status: "FAILED", error: { code: 2302 } });
  });

  it("asks a bearer-less request to authenticate at all: 2301 with a bare Bearer challenge", async () => {
    const response = await fetch(`${app.url}/unlock`, { method: "POST" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect((await response.json()).error.code).toBe(2301);
  });

  it("refuses an OTP below the route's level (S16 where S15 is required) with the challenge", async () => {
    const { pims } = await enrolledUser();
    expectSuccess(await withoutPin(pims));
    const refused = await unlock(pims);
    expect(refused.status).toBe(401);
    expect(readStepUpChallenge(refused.headers.get("www-authenticate"))?.acrValues).toEqual([
      "pims:possession+knowledge",
    ]);
  });

  it("lets the level through and reports acr, amr and auth_time", async () => {
    const { pims, pin } = await enrolledUser();
    const before = Date.now();
    expectSuccess(await withPin(pims, pin));
    const granted = await unlock(pims);
    expect(granted.status).toBe(200);
    const stepUp = await granted.json();
    expect(stepUp).toMatchObject({ acr: "pims:possession+knowledge", amr: ["swk", "pin", "mfa"] });
    expect(stepUp.authTime).toBeGreaterThanOrEqual(before - 1000);
    expect(stepUp.authTime).toBeLessThanOrEqual(Date.now());

    expectSuccess(await withoutPin(pims));
    const status = await pims.fetch(`${app.url}/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ acr: "pims:possession", amr: ["swk"], factors: ["possession"] });
  });

  it("refuses a proof older than max_age, and says max_age again", async () => {
    const { pims, pin } = await enrolledUser();
    expectSuccess(await withPin(pims, pin));
    rpNow = () => Date.now() + 61_000;
    try {
      const stale = await unlock(pims);
      expect(stale.status).toBe(401);
      expect(readStepUpChallenge(stale.headers.get("www-authenticate"))?.maxAge).toBe(60);
      expect((await stale.json()).error.code).toBe(2302);
    } finally {
      rpNow = () => Date.now();
    }
    // A fresh proof passes.
    expectSuccess(await withPin(pims, pin));
    expect((await unlock(pims)).status).toBe(200);
  });

  it("shows a knowledge factor that rests on an SMS reset (amr sms), also once the PIN is changed from the reset one", async () => {
    const { pims, pin, phone } = await enrolledUser();
    const smsCode = await resetPinCode(server.url, pims, phone);
    expectSuccess(await pims.set(resetPin.api, { action: "reset", pinCode: "75319864", smsCode }));
    expectSuccess(await withPin(pims, "75319864"));
    const afterReset = await unlock(pims);
    expect(afterReset.status).toBe(200);
    expect((await afterReset.json()).amr).toEqual(["swk", "pin", "mfa", "sms"]);

    // Whoever reset the PIN knows the reset one: a change from it still rests on the SMS.
    expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: "75319864", newPIN: pin }));
    expectSuccess(await withPin(pims, pin));
    const afterChange = await unlock(pims);
    expect((await afterChange.json()).amr).toEqual(["swk", "pin", "mfa", "sms"]);
  });
});

describe("amr sms, in time", () => {
  it("is said for PIMS_RECOVERY_VISIBLE_FOR after the SMS recovery, then no longer", async () => {
    const clock = new TestClock();
    const clocked = await startTestServer({
      clock,
      env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_SMS_COOLDOWN: "0", PIMS_RECOVERY_VISIBLE_FOR: "3600" },
    });
    try {
      const { key } = await createRelyingParty(clocked.url);
      const { pims } = await loggedInPims(clocked.url, memoryStore());
      const { phone } = await enrollWithShortcut(clocked.url, pims, "46802571");
      const amrNow = async () => {
        const { otp } = expectSuccess(await withPin(pims, "75319864")) as { otp: string };
        const verdict = await verifyOtp(clocked.url, key, { otp, accessToken: await accessToken(pims) });
        return verdict.body.result?.amr;
      };
      const smsCode = await resetPinCode(clocked.url, pims, phone);
      expectSuccess(await pims.set(resetPin.api, { action: "reset", pinCode: "75319864", smsCode }));
      expect(await amrNow()).toEqual(["swk", "pin", "mfa", "sms"]);
      clock.advance(3_600_000);
      expect(await amrNow()).toEqual(["swk", "pin", "mfa", "sms"]);
      clock.advance(1_000);
      expect(await amrNow()).toEqual(["swk", "pin", "mfa"]);
    } finally {
      await clocked.close();
    }
  });
});
