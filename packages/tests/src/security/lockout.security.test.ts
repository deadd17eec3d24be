import {
  enroll,
  loginUser,
  otpWithoutPin,
  otpWithPin,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
  resetPin,
  validateEnrollmentCode,
} from "@pims/protocol";
import { stepUpMiddleware } from "@pims/relying-party";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, initializedPims, loggedInPims } from "../support/facade.js";
import { listenOnLoopback } from "../support/listen.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { inbox, newPhone, otherCode } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, accountIdOf, enrollmentCode, resetPinCode } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

/**
 * Limits that protect against guessing must not become levers: after any sequence of calls by a
 * token-only attacker or a stranger, the user's next genuine flow succeeds, while guessing stays
 * bounded (docs/security.md, "Limits that cannot be turned into levers"). The servers run with
 * the shipped defaults of every limit these tests are about.
 */
const DEFAULT_LIMITS = {
  PIMS_SMS_COOLDOWN: "30",
  PIMS_SMS_PER_PHONE_HOUR: "5",
  PIMS_SMS_PER_PHONE_DAY: "10",
  PIMS_SMS_PER_TRUSTED_PHONE_HOUR: "5",
  PIMS_SMS_PER_TRUSTED_PHONE_DAY: "10",
  PIMS_SMS_PER_ACCOUNT_HOUR: "10",
  PIMS_SMS_PER_ACCOUNT_DAY: "20",
  PIMS_SMS_TRY_BUDGET: "10",
  PIMS_SMS_CODE_MAX_TRIES: "3",
  PIMS_OTP_MAX_FAILED_VERIFICATIONS: "10",
  // The clock jumps past cooldowns; the tokens must outlive the jumps (an expired token is no attack).
  PIMS_ACCESS_TOKEN_TTL: "86400",
};

const clock = new TestClock();
let server: TestServer;
let protectedApp: { url: string; close(): Promise<void> };
let rpKey: string;

beforeAll(async () => {
  server = await startTestServer({ clock, env: { ...DEFAULT_LIMITS, PIMS_ADMIN_KEY: ADMIN_KEY } });
  rpKey = (await createRelyingParty(server.url)).key;
  const application = express();
  application.get("/account", stepUpMiddleware({ pimsUrl: server.url, apiKey: rpKey }), (_req, res) =>
    res.json({ ok: true }),
  );
  protectedApp = await listenOnLoopback(application);
});
afterAll(async () => {
  await protectedApp?.close();
  await server?.close();
});

/** The cooldown of a number and purpose doubles with each send: step past any of them. */
const pastCooldown = () => clock.advance(901_000);

/** An enrolled user, and an attacker holding the same account's credentials (its own facade, no device). */
async function victimAndTokenHolder() {
  const user = await loggedInPims(server.url);
  const { phone, pin } = await enrollWithShortcut(server.url, user.pims, "48213579");
  const attacker = await initializedPims(server.url);
  expectSuccess(await attacker.set(loginUser.api, { action: "login", login: user.login, password: user.password }));
  pastCooldown();
  return { user: user.pims, attacker, phone, pin, login: user.login, password: user.password };
}

describe("a token holder cannot block the PIN reset", () => {
  it("10 junk S13 with no code outstanding, then the user's S6 + S13: the PIN is reset", async () => {
    const { user, attacker, phone } = await victimAndTokenHolder();
    for (let i = 0; i < 10; i++) {
      expectFailure(
        await attacker.set(resetPin.api, { action: "reset", pinCode: "73195286", smsCode: "000000" }),
        2305,
      );
    }
    const answer = await user.set(resetPin.api, {
      action: "reset",
      pinCode: "86421357",
      smsCode: await resetPinCode(server.url, user, phone),
    });
    console.log(`[figures] 10 junk S13, then the user's S6 + S13: ${answer.status}`);
    expectSuccess(answer);
    expectSuccess(await user.get(otpWithPin.api, { action: "withPIN", pinCode: "86421357" }));
  });

  it("the attacker asks for codes and spends the whole try budget: the user's fresh code still works", async () => {
    const { user, attacker, phone } = await victimAndTokenHolder();
    let wrong = 0;
    // Four codes × three wrong tries: 12 wrong tries, past the budget of 10.
    for (let round = 0; round < 4; round++) {
      const code = await resetPinCode(server.url, attacker, phone);
      for (let i = 0; i < 3; i++) {
        const answer = await attacker.set(resetPin.api, {
          action: "reset",
          pinCode: "73195286",
          smsCode: otherCode(code),
        });
        expectFailure(answer, 2305);
        wrong++;
      }
      pastCooldown();
    }
    // Guessing stays bounded: with the budget spent, a new code faces one wrong try and is void.
    const fifth = await resetPinCode(server.url, attacker, phone);
    expectFailure(
      await attacker.set(resetPin.api, { action: "reset", pinCode: "73195286", smsCode: otherCode(fifth) }),
      2305,
    );
    const voided = await attacker.set(resetPin.api, { action: "reset", pinCode: "73195286", smsCode: fifth });
    expectFailure(voided, 2305);
    pastCooldown();
    const answer = await user.set(resetPin.api, {
      action: "reset",
      pinCode: "86421357",
      smsCode: await resetPinCode(server.url, user, phone),
    });
    console.log(
      `[figures] ${wrong} wrong S13 over 4 codes (budget 10 spent); a 5th code, one wrong try, then its right value: ${voided.status}; then the user's S6 + S13: ${answer.status}`,
    );
    expectSuccess(answer);
  });
});

describe("a token holder cannot block enrollment", () => {
  it("10 junk S7 and 10 junk S10 with no code outstanding, then the user's S4 + S7 + S10 enroll a new device", async () => {
    const { attacker, phone, pin, login, password } = await victimAndTokenHolder();
    for (let i = 0; i < 10; i++) {
      expectFailure(await attacker.set(validateEnrollmentCode.api, { action: "enrollment", smsCode: "000000" }), 2305);
      expectFailure(await attacker.set(enroll.api, { action: "enroll", pinCode: pin, smsCode: "000000" }), 2305);
    }
    // The user, on a new device.
    const newDevice = await initializedPims(server.url);
    expectSuccess(await newDevice.set(loginUser.api, { action: "login", login, password }));
    const smsCode = await enrollmentCode(server.url, newDevice, phone);
    expectSuccess(await newDevice.set(validateEnrollmentCode.api, { action: "enrollment", smsCode }));
    const answer = await newDevice.set(enroll.api, { action: "enroll", pinCode: pin });
    console.log(`[figures] 10 junk S7 + 10 junk S10, then the user's S4 + S7 + S10: ${answer.status}`);
    expectSuccess(answer);
  });
});

describe("a token holder cannot block step-up", () => {
  const protectedCall = (token: string, otp: string) =>
    fetch(`${protectedApp.url}/account`, { headers: { authorization: `Bearer ${token}`, "pims-otp": otp } });

  it("10 junk Pims-OTP headers through a protected endpoint, then the user's fresh OTP: valid", async () => {
    const { user, attacker } = await victimAndTokenHolder();
    const token = await accessToken(attacker);
    for (let i = 0; i < 10; i++) expect((await protectedCall(token, String(10_000_000 + i))).status).toBe(401);
    const { otp } = expectSuccess(await user.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    const response = await protectedCall(await accessToken(user), otp);
    console.log(
      `[figures] 10 junk verifications, then the user's fresh OTP: ${response.status === 200 ? "valid" : "refused"}`,
    );
    expect(response.status).toBe(200);
  });

  it("junk while an OTP is live: it faces 10 wrong guesses, then it is void; the next fresh OTP is valid", async () => {
    const { user, attacker } = await victimAndTokenHolder();
    const token = await accessToken(attacker);
    const { otp: live } = expectSuccess(await user.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    for (let i = 0; i < 25; i++)
      await verifyOtp(server.url, rpKey, { otp: String(20_000_000 + i), accessToken: token });
    const row = await server.server.services.db
      .selectFrom("otps")
      .select(["wrong_guesses", "consumed_by"])
      .where("account_id", "=", await accountIdOf(server.server, attacker))
      .executeTakeFirstOrThrow();
    expect(row.consumed_by).toBe("voided:guessing-limit");
    expect(row.wrong_guesses).toBe(10);
    const stale = await verifyOtp(server.url, rpKey, { otp: live, accessToken: token });
    expect(stale.body.result?.valid).toBe(false);
    const { otp } = expectSuccess(await user.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    const fresh = await verifyOtp(server.url, rpKey, { otp, accessToken: await accessToken(user) });
    console.log(
      `[figures] 25 junk verifications while an OTP lived: it faced ${row.wrong_guesses} and was voided; the next fresh OTP: ${fresh.body.result?.valid ? "valid" : "refused"}`,
    );
    expect(fresh.body.result?.valid).toBe(true);
  });

  it("60 concurrent wrong guesses and the right one: the live OTP faces at most 10", async () => {
    const { user, attacker } = await victimAndTokenHolder();
    const token = await accessToken(attacker);
    const { otp } = expectSuccess(await user.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    const guesses = Array.from({ length: 60 }, (_, i) => String(30_000_000 + i)).filter((g) => g !== otp);
    const answers = await Promise.all(
      [...guesses, otp].map((g) => verifyOtp(server.url, rpKey, { otp: g, accessToken: token })),
    );
    const [row] = await server.server.services.db
      .selectFrom("otps")
      .select(["wrong_guesses", "consumed_by"])
      .where("account_id", "=", await accountIdOf(server.server, attacker))
      .orderBy("issued_at", "desc")
      .limit(1)
      .execute();
    const valid = answers.filter((a) => a.body.result?.valid === true).length;
    console.log(
      `[figures] 60 concurrent wrong guesses and the right OTP: it faced ${row?.wrong_guesses} wrong ones; right one ${valid === 1 ? "valid" : "refused (voided first)"}`,
    );
    expect(row?.wrong_guesses).toBeLessThanOrEqual(10);
    // Either the right guess came before the tenth wrong one (valid, consumed by the RP) or after (voided).
    expect(row?.consumed_by).toMatch(valid === 1 ? /^rp_/ : /^voided/);
  });
});

describe("a stranger cannot block the owner's SMS", () => {
  it("12 S5 by a stranger to the owner's number, then the owner's S6 and S4: sent", async () => {
    const owner = await loggedInPims(server.url);
    const { phone } = await enrollWithShortcut(server.url, owner.pims, "48213579");
    clock.advance(3_601_000); // a new hour: the owner's own S5 is out of the stranger's figures
    const stranger = await loggedInPims(server.url);
    const answers: string[] = [];
    let cooldown = 30;
    for (let i = 0; i < 12; i++) {
      const answer = await stranger.pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      });
      answers.push(answer.status === "SUCCEEDED" ? "sent" : String(answer.error.code));
      if (answer.status === "SUCCEEDED") {
        // As fast as the cooldown allows: all within the hour.
        clock.advance(cooldown * 1000 + 1);
        cooldown = Math.min(cooldown * 2, 900);
      }
    }
    const certifications = (await inbox(server.url, phone.e164)).filter((m) => /confirm this phone/.test(m.body));
    const reset = await owner.pims.get(requestResetPinCode.api, { type: "resetPIN" });
    const enrollment = await owner.pims.get(requestEnrollmentCode.api, { type: "enrollment" });
    console.log(
      `[figures] 12 S5 by a stranger (${answers.join(", ")}), then the owner's S6: ${reset.status === "SUCCEEDED" ? "sent" : JSON.stringify(reset)}, S4: ${enrollment.status === "SUCCEEDED" ? "sent" : JSON.stringify(enrollment)}`,
    );
    expectSuccess(reset);
    expectSuccess(enrollment);
    // The stranger stays bounded: the number's certification quota (5 per hour), one code at a time.
    expect(certifications.length).toBe(6); // the owner's own S5 at enrollment, then 5 by the stranger
    expect(answers.filter((a) => a === "sent")).toHaveLength(5);
    expect(answers.filter((a) => a === "2383")).toHaveLength(7);
  });
});

describe("the cooldown is per number and purpose", () => {
  it("a new user enrolls with S5 + S11, then asks S6 at once: sent; the same S6 again: 2005", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    await enrollWithShortcut(server.url, pims, "48213579", phone);
    const reset = await pims.get(requestResetPinCode.api, { type: "resetPIN" });
    const again = await pims.get(requestResetPinCode.api, { type: "resetPIN" });
    console.log(
      `[figures] S5 + S11, then S6 within 30 s: ${reset.status === "SUCCEEDED" ? "sent" : JSON.stringify(reset)}; S6 repeated: ${again.status === "FAILED" ? again.error.code : "sent"}`,
    );
    expectSuccess(reset);
    expectFailure(again, 2005);
  });
});
