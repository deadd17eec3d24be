import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_CHROMIUM, inboxCode, launchChromium, openDemo, operate, screenshot } from "../support/browser.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The demo page in Debian's Chromium, through every flow, with the real SDK in the browser
 * (IndexedDB store, non-extractable key). Screenshots: test-artifacts/screenshots/.
 */
if (!HAS_CHROMIUM) console.log("NOTE: the browser suite did not run: no Chromium (apt-get install -y chromium).");

describe.runIf(HAS_CHROMIUM)("the demo page", () => {
  let server: TestServer;
  let browser: Browser;
  let deviceA: Page;
  let deviceB: Page;
  const pin = "2853";
  let sms = 0;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    deviceA = await openDemo(browser, server.url);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const field = (page: Page, form: string, name: string) => page.locator(`form[data-form="${form}"] [name="${name}"]`);

  it("1. creates an account (logged in) and checks the device: not activated, not blocked, no number", async () => {
    const page = deviceA;
    const created = await operate(page, "button[data-op=createAccount]");
    expect(created).toMatchObject({ status: "SUCCEEDED", result: null });
    await expect.poll(() => page.textContent("#state")).toContain("Logged in as alice-");
    expect(await operate(page, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: false } });
    expect(await operate(page, "button[data-op=S2]")).toMatchObject({ result: { isAccountBlocked: "NotBlocked" } });
    expect(await operate(page, "button[data-op=S3]")).toMatchObject({ status: "FAILED", error: { code: 2307 } });
    await screenshot(page, "01-account-and-check");
  });

  it("2. enrolls with the shortcut (S5, code from the inbox panel, S11); the key is non-extractable", async () => {
    const page = deviceA;
    expect(await operate(page, "button[data-op=S5][data-from=shortcut]")).toMatchObject({ status: "SUCCEEDED" });
    sms += 1;
    await field(page, "shortcut", "smsCode").fill(await inboxCode(page, sms));
    await field(page, "shortcut", "pinCode").fill(pin);
    expect(await operate(page, "button[data-op=S11]")).toMatchObject({ status: "SUCCEEDED", result: null });
    expect(await operate(page, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: true } });
    await expect
      .poll(() => page.textContent("#device-key"))
      .toContain("ECDSA P-256, non-extractable, kept in IndexedDB");
    await screenshot(page, "02-shortcut-enrollment");
  });

  it("3. enrolls a second device with the full method (S4, S7 AlreadyEnrolled, S10 with the PIN)", async () => {
    deviceB = await openDemo(browser, server.url);
    const page = deviceB;
    const login = await field(deviceA, "account", "login").inputValue();
    await field(page, "account", "login").fill(login);
    expect(await operate(page, "button[data-op=login]")).toMatchObject({ status: "SUCCEEDED" });
    expect(await operate(page, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: false } });
    expect(await operate(page, "button[data-op=S4]")).toMatchObject({ status: "SUCCEEDED" });
    sms += 1;
    await field(page, "full", "smsCode").fill(await inboxCode(page, sms));
    expect(await operate(page, "button[data-op=S7]")).toMatchObject({ result: { status: "AlreadyEnrolled" } });
    await expect.poll(() => page.textContent("#enrollment-status")).toContain("AlreadyEnrolled");
    await field(page, "full", "pinCode").fill("0000");
    expect(await operate(page, "button[data-op=S10]")).toMatchObject({ status: "FAILED", error: { code: 2308 } });
    await field(page, "full", "pinCode").fill(pin);
    expect(await operate(page, "button[data-op=S10]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => page.textContent("#state")).toContain("this device is enrolled");
    await screenshot(page, "03-full-method-second-device");
  });

  it("4. gets OTPs with and without the PIN", async () => {
    const page = deviceA;
    await field(page, "otp", "pinCode").fill(pin);
    const withPin = await operate(page, "button[data-op=S15]");
    expect(withPin.result.otp).toMatch(/^\d{8}$/);
    await expect.poll(() => page.textContent("#otp")).toBe(withPin.result.otp);
    expect((await operate(page, "button[data-op=S16]")).result.otp).toMatch(/^\d{8}$/);
    await screenshot(page, "04-otp");
  });

  it("5. unlocks the car: 2302 shows the transaction before the PIN, the signed OTP opens it, one character off is refused", async () => {
    const page = deviceB;
    const refused = await operate(page, "button[data-op=unlock]");
    expect(refused).toMatchObject({ status: "FAILED", error: { code: 2302, label: "Need Strong Authentication" } });
    await expect(page.locator("#stepup-pin").isVisible()).resolves.toBe(true);
    // What will be authorized is on screen before the PIN is typed.
    expect(await page.textContent("#stepup-what")).toBe("Unlock vehicle VF3LCYHZPHS123456");
    await screenshot(page, "05a-step-up-asked");
    await field(page, "stepup", "pinCode").fill(pin);
    await page.click("button[data-op=confirm]");
    await expect
      .poll(() => page.textContent("#unlock"), { timeout: 10_000 })
      .toContain("Unlocked VF3LCYHZPHS123456 (possession + knowledge, signed by dev_");
    expect(await page.textContent("#signed")).toContain('{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}');
    await screenshot(page, "05b-step-up-done");
    // A request for another VIN (one character changed) with an OTP signed for this one: refused.
    const tampered = await operate(page, "button[data-op=tamper]", 2);
    expect(tampered).toMatchObject({ status: "FAILED", error: { code: 2302 } });
    await expect
      .poll(() => page.textContent("#unlock"), { timeout: 10_000 })
      .toContain("Refused for VF3LCYHZPHS123457");
    await screenshot(page, "05c-one-character-off");
  });

  it("6. changes the PIN on one device; the other device checks the new one", async () => {
    await field(deviceA, "change", "oldPIN").fill(pin);
    await field(deviceA, "change", "newPIN").fill("1748");
    expect(await operate(deviceA, "button[data-op=S14]")).toMatchObject({ status: "SUCCEEDED" });
    await field(deviceB, "otp", "pinCode").fill(pin);
    expect(await operate(deviceB, "button[data-op=S15]")).toMatchObject({ status: "FAILED", error: { code: 2308 } });
    await field(deviceB, "otp", "pinCode").fill("1748");
    expect(await operate(deviceB, "button[data-op=S15]")).toMatchObject({ status: "SUCCEEDED" });
    await screenshot(deviceA, "06-pin-change");
  });

  it("7. resets a forgotten PIN by SMS (S6, S13)", async () => {
    const page = deviceB;
    expect(await operate(page, "button[data-op=S6]")).toMatchObject({ status: "SUCCEEDED" });
    sms += 1;
    await field(page, "reset", "smsCode").fill(await inboxCode(page, sms));
    await field(page, "reset", "pinCode").fill("3691");
    expect(await operate(page, "button[data-op=S13]")).toMatchObject({ status: "SUCCEEDED" });
    await field(page, "otp", "pinCode").fill("3691");
    expect(await operate(page, "button[data-op=S15]")).toMatchObject({ status: "SUCCEEDED" });
    await screenshot(page, "07-pin-reset");
  });

  it("8. removes every enrollment: both devices are deactivated, the other forgets its key", async () => {
    expect(await operate(deviceA, "button[data-op=S12]")).toMatchObject({ status: "SUCCEEDED" });
    expect(await operate(deviceA, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: false } });
    await field(deviceB, "otp", "pinCode").fill("3691");
    expect(await operate(deviceB, "button[data-op=S15]")).toMatchObject({ status: "FAILED", error: { code: 2312 } });
    expect(await operate(deviceB, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: false } });
    await expect.poll(() => deviceB.textContent("#device-key")).toBe("");
    await screenshot(deviceA, "08-removed");
  });

  it("9. full method from scratch (S5 + S8, S4, S7 NotEnrolled, S10 chooses the PIN), then logs out", async () => {
    const page = await openDemo(browser, server.url);
    await operate(page, "button[data-op=createAccount]");
    await page.click("details summary");
    expect(await operate(page, "button[data-op=S5][data-from=full]")).toMatchObject({ status: "SUCCEEDED" });
    sms += 1;
    await field(page, "full", "numberCode").fill(await inboxCode(page, sms));
    expect(await operate(page, "button[data-op=S8]")).toMatchObject({ status: "SUCCEEDED" });
    expect(await operate(page, "button[data-op=S4]")).toMatchObject({ status: "SUCCEEDED" });
    sms += 1;
    await field(page, "full", "smsCode").fill(await inboxCode(page, sms));
    expect(await operate(page, "button[data-op=S7]")).toMatchObject({ result: { status: "NotEnrolled" } });
    await field(page, "full", "pinCode").fill("8642");
    expect(await operate(page, "button[data-op=S10]")).toMatchObject({ status: "SUCCEEDED" });
    await screenshot(page, "09-full-method-new-account");
    expect(await operate(page, "button[data-op=logout]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => page.textContent("#state")).toBe("Not logged in.");
  });

  it("is accessible in structure: labelled fields, named buttons, landmarks, live regions; no script error", async () => {
    const page = deviceA;
    const unlabelled = await page.$$eval("input", (inputs) => inputs.filter((i) => !i.closest("label")).length);
    expect(unlabelled).toBe(0);
    const unnamed = await page.$$eval(
      "button",
      (buttons) => buttons.filter((b) => (b.textContent ?? "").trim() === "").length,
    );
    expect(unnamed).toBe(0);
    for (const landmark of ["header", "main", "aside"]) expect(await page.locator(landmark).count()).toBe(1);
    expect(await page.locator("[aria-live]").count()).toBeGreaterThanOrEqual(4);
    expect(await page.getAttribute("html", "lang")).toBe("en");
    for (const p of [deviceA, deviceB]) expect((p as Page & { errors?: string[] }).errors).toEqual([]);
  });

  it("fits a phone screen (one column, nothing wider than the viewport)", async () => {
    const page = await openDemo(browser, server.url, { width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "10-phone");
  });

  it("is served with a content security policy that allows only its own scripts", async () => {
    const response = await fetch(server.url);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  });
});
