import { demoTenants, loadConfig } from "@pims/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_CHROMIUM, inboxCode, launchChromium, openDemo, operate, screenshot } from "../support/browser.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The demo page's brand switcher (issue 16 item 5), in Chromium, on a server declaring the demo
 * brands as `pims serve --demo-brands` does: an account of one brand does not exist in the other.
 */
if (!HAS_CHROMIUM) console.log("NOTE: the browser suite did not run: no Chromium (apt-get install -y chromium).");

describe.runIf(HAS_CHROMIUM)("the demo page's two brands", () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let login: string;

  beforeAll(async () => {
    server = await startTestServer({ tenants: demoTenants(loadConfig({})) });
    browser = await launchChromium();
    page = await openDemo(browser, server.url);
    login = await page.locator('form[data-form="account"] [name="login"]').inputValue();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const field = (form: string, name: string) => page.locator(`form[data-form="${form}"] [name="${name}"]`);
  const sessionOf = (brand: string) => page.textContent(`#sessions li[data-brand="${brand}"]`);
  async function switchTo(brand: string): Promise<void> {
    await page.click(`button[data-brand="${brand}"]`);
    await page.waitForSelector(`html[data-brand="${brand}"][data-ready="true"]`);
  }

  it("starts on the default brand and names the brands as GET /v1/client does", async () => {
    expect(await page.getAttribute("html", "data-brand")).toBe("default");
    expect(await page.textContent("#brand")).toContain("Default: no client id");
    expect(await page.textContent('button[data-brand="peugeot"]')).toBe("Peugeot (demo)");
    expect(await page.textContent('button[data-brand="opel"]')).toBe("Opel (demo)");
    expect(await page.isDisabled('button[data-brand="opel"]')).toBe(false);
    expect(await page.getAttribute('button[data-brand="default"]', "aria-pressed")).toBe("true");
  });

  it("creates an account in Peugeot (demo): the SDK was initialized with Peugeot's client id", async () => {
    await switchTo("peugeot");
    expect(await page.textContent("#brand")).toContain(
      "Peugeot (demo): app Peugeot demo page (client id demo-peugeot-web)",
    );
    expect(await page.getAttribute('button[data-brand="peugeot"]', "aria-pressed")).toBe("true");
    const initialized = JSON.parse((await page.locator("#log li pre").first().textContent()) as string);
    expect(initialized).toMatchObject({ status: "SUCCEEDED", result: null });
    expect(await page.textContent("#log li .op")).toBe("initialize (Peugeot (demo))");
    expect(await operate(page, "button[data-op=createAccount]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => page.textContent("#state")).toBe(`Logged in as ${login}; this device is not enrolled.`);
    expect(await sessionOf("peugeot")).toBe(`Peugeot (demo) logged in as ${login}`);
    await screenshot(page, "brands-01-peugeot-account");
  });

  it("switches to Opel (demo): the same login and password are refused, the account does not exist there", async () => {
    await switchTo("opel");
    expect(await page.textContent("#brand")).toContain("Opel (demo): app Opel demo page (client id demo-opel-web)");
    // Switching released the SDK, which forgets Peugeot's session.
    expect(await sessionOf("peugeot")).toBe("Peugeot (demo) not logged in");
    expect(await page.textContent("#state")).toBe("Not logged in.");
    expect(await field("account", "login").inputValue()).toBe(login);
    const refused = await operate(page, "button[data-op=login]");
    // 2401, as for any unknown login (a wrong password answers the same): the next test creates it.
    expect(refused).toMatchObject({ status: "FAILED", error: { code: 2401 } });
    expect(await page.textContent("#state")).toBe("Not logged in.");
    await screenshot(page, "brands-02-opel-refused");
  });

  it("creates the same login in Opel (demo): a different account, with Opel's PIN policy (exactly 6 digits)", async () => {
    // Created, not 2402 "login taken": Peugeot's account of that login is not Opel's.
    expect(await operate(page, "button[data-op=createAccount]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => sessionOf("opel")).toBe(`Opel (demo) logged in as ${login}`);
    expect(await operate(page, "button[data-op=S5][data-from=shortcut]")).toMatchObject({ status: "SUCCEEDED" });
    await field("shortcut", "smsCode").fill(await inboxCode(page, 1));
    await field("shortcut", "pinCode").fill("2853");
    const short = await operate(page, "button[data-op=S11]");
    expect(short).toMatchObject({ status: "FAILED", error: { code: 2102 } });
    await field("shortcut", "pinCode").fill("285316");
    expect(await operate(page, "button[data-op=S11]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => page.textContent("#state")).toBe(`Logged in as ${login}; this device is enrolled.`);
  });

  it("unlocks the car as Opel: the sample API gets Opel's client id from the page, so Opel's OTP is found", async () => {
    expect(await operate(page, "button[data-op=unlock]")).toMatchObject({ status: "FAILED", error: { code: 2302 } });
    await field("stepup", "pinCode").fill("285316");
    await page.click("button[data-op=confirm]");
    await expect
      .poll(() => page.textContent("#unlock"), { timeout: 10_000 })
      .toContain("Unlocked VF3LCYHZPHS123456 (possession + knowledge");
    await screenshot(page, "brands-03-opel-unlocked");
  });

  it("switches back to Peugeot (demo): logging in works, on its own device store (not enrolled there)", async () => {
    await switchTo("peugeot");
    expect(await page.textContent("#unlock")).toBe("");
    expect(await sessionOf("opel")).toBe("Opel (demo) not logged in");
    // The account is still Peugeot's: its login is taken there.
    expect(await operate(page, "button[data-op=createAccount]")).toMatchObject({
      status: "FAILED",
      error: { code: 2402 },
    });
    expect(await operate(page, "button[data-op=login]")).toMatchObject({ status: "SUCCEEDED" });
    await expect.poll(() => page.textContent("#state")).toBe(`Logged in as ${login}; this device is not enrolled.`);
    expect(await operate(page, "button[data-op=S1]")).toMatchObject({ result: { isDeviceActivated: false } });
    expect(await sessionOf("peugeot")).toBe(`Peugeot (demo) logged in as ${login}`);
    // Peugeot's policy: a 4-digit PIN is fine here, and its OTPs have 6 digits (Opel's and the default's: 8).
    expect(await operate(page, "button[data-op=S5][data-from=shortcut]")).toMatchObject({ status: "SUCCEEDED" });
    await field("shortcut", "smsCode").fill(await inboxCode(page, 2));
    await field("shortcut", "pinCode").fill("2853");
    expect(await operate(page, "button[data-op=S11]")).toMatchObject({ status: "SUCCEEDED" });
    await field("otp", "pinCode").fill("2853");
    expect((await operate(page, "button[data-op=S15]")).result.otp).toMatch(/^\d{6}$/);
  });

  it("switches to Default: that login does not exist in the default tenant either; no script error", async () => {
    await switchTo("default");
    expect(await operate(page, "button[data-op=login]")).toMatchObject({ status: "FAILED", error: { code: 2401 } });
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await screenshot(page, "brands-04-default");
  });
});

describe.runIf(HAS_CHROMIUM)("the demo page without the demo brands", () => {
  it("offers only the default brand, and says how to get the others", async () => {
    const server = await startTestServer();
    const browser = await launchChromium();
    try {
      const page = await openDemo(browser, server.url);
      expect(await page.isDisabled('button[data-brand="default"]')).toBe(false);
      for (const brand of ["peugeot", "opel"]) {
        expect(await page.isDisabled(`button[data-brand="${brand}"]`)).toBe(true);
        expect(await page.getAttribute(`button[data-brand="${brand}"]`, "title")).toContain("--demo-brands");
      }
      expect(await page.textContent('#sessions li[data-brand="opel"]')).toBe("Opel (demo) not served here");
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});
