import {
  createAccount,
  customerAt,
  enrollWithPhoneNumber,
  isDeviceActivated,
  loginUser,
  logout,
  otpWithPin,
  requestPhoneCertificationCode,
} from "@pims/protocol";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppOrigin } from "../support/appOrigin.js";
import { HAS_CHROMIUM, launchChromium } from "../support/browser.js";
import { ADMIN_KEY, createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { latestCode, newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * A web app served from its own origin (a second loopback server) uses Pims through the real SDK
 * modules in Debian's Chromium: the browser's CORS checks, preflights included, are the real ones.
 * A page of an origin not in PIMS_CORS_ORIGINS is refused by the same checks.
 */
if (!HAS_CHROMIUM)
  console.log("NOTE: the cross-origin browser suite did not run: no Chromium (apt-get install -y chromium).");

interface Message {
  status: string;
  result?: Record<string, string> | null;
  error?: { code: number; label: string };
}

describe.runIf(HAS_CHROMIUM)("a web app on its own origin", () => {
  let app: Awaited<ReturnType<typeof startAppOrigin>>;
  let stranger: Awaited<ReturnType<typeof startAppOrigin>>;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await startAppOrigin();
    stranger = await startAppOrigin();
    server = await startTestServer({ env: { PIMS_CORS_ORIGINS: app.url, PIMS_ADMIN_KEY: ADMIN } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
    await stranger?.close();
  });

  async function open(origin: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/?pims=${encodeURIComponent(server.url)}`);
    await page.waitForSelector("html[data-ready=true]");
    expect(new URL(page.url()).origin).not.toBe(new URL(server.url).origin);
    return page;
  }
  const call = (page: Page, verb: "get" | "set", api: string, params: object) =>
    page.evaluate(([v, a, p]) => (window as never as AppWindow).app[v](a, p), [
      verb,
      api,
      params,
    ] as const) as Promise<Message>;
  const preflights = () => server.logs.filter((line) => line.includes('"operation":"cors.preflight"')).length;

  it("logs in, enrolls and gets an OTP with the PIN (S15) that the relying party accepts", async () => {
    const page = await open(app.url);
    expect(await page.evaluate(() => (window as never as AppWindow).app.initialize())).toMatchObject({
      status: "SUCCEEDED",
    });
    const login = `cross-${Date.now()}`;
    const credentials = { login, password: "correct horse battery" };
    expect(await call(page, "set", createAccount.api, { action: "createAccount", ...credentials })).toMatchObject({
      status: "SUCCEEDED",
    });
    expect(await call(page, "set", logout.api, { action: "logout" })).toMatchObject({ status: "SUCCEEDED" });
    expect(await call(page, "set", loginUser.api, { action: "login", ...credentials })).toMatchObject({
      status: "SUCCEEDED",
    });

    const phone = newPhone();
    expect(
      await call(page, "get", requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
    ).toMatchObject({ status: "SUCCEEDED" });
    const smsCode = await latestCode(server.url, phone.e164);
    expect(
      await call(page, "set", enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        phoneNumber: phone.national,
        smsCode,
        pinCode: "4829",
      }),
    ).toMatchObject({ status: "SUCCEEDED" });
    expect(
      await call(page, "get", isDeviceActivated.api, { actionType: "strong", type: "isDeviceActivated" }),
    ).toMatchObject({
      result: { isDeviceActivated: true },
    });

    const first = await call(page, "get", otpWithPin.api, { action: "withPIN", pinCode: "4829" });
    expect(first.result?.otp).toMatch(/^\d{8}$/);
    // The browser cached the preflight of S15: the second S15 sends none.
    const before = preflights();
    const second = await call(page, "get", otpWithPin.api, { action: "withPIN", pinCode: "4829" });
    expect(second.result?.otp).toMatch(/^\d{8}$/);
    expect(preflights()).toBe(before);
    expect(before).toBeGreaterThan(0);

    const token = (await call(page, "get", customerAt.api, { type: "customerAt", action: "get" })).result
      ?.token as string;
    const rp = await createRelyingParty(server.url);
    const verified = await verifyOtp(server.url, rp.key, { otp: second.result?.otp, accessToken: token });
    expect(verified.body, JSON.stringify(verified.body)).toMatchObject({ status: "SUCCEEDED" });
    expect(verified.body.result).toMatchObject({ valid: true, factors: ["possession", "knowledge"] });
  });

  it("refuses a page of an origin not on the list: the browser never sends the call", async () => {
    const page = await open(stranger.url);
    const console: string[] = [];
    page.on("console", (message) => console.push(message.text()));
    expect(await page.evaluate(() => (window as never as AppWindow).app.initialize())).toMatchObject({
      status: "SUCCEEDED",
    });
    const login = `stranger-${Date.now()}`;
    const created = await call(page, "set", createAccount.api, {
      action: "createAccount",
      login,
      password: "correct horse battery",
    });
    expect(created).toMatchObject({ status: "FAILED", error: { code: 2202 } });
    await expect.poll(() => console.join("\n")).toContain("blocked by CORS policy");
    // The preflight was refused, so the account was never created: the login does not exist.
    const response = await fetch(`${server.url}/v1/user/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login, password: "correct horse battery" }),
    });
    expect(((await response.json()) as Message).error?.code).toBe(2401);
  });
});

const ADMIN = ADMIN_KEY;

interface AppWindow {
  app: {
    initialize(): Promise<Message>;
    get(api: string, params: object): Promise<Message>;
    set(api: string, params: object): Promise<Message>;
  };
}
