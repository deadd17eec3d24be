import { describeError, ERROR_CATALOGUE } from "@pims/protocol";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxyWithoutInbox, startDemoWithServerDown } from "../support/appOrigin.js";
import { HAS_CHROMIUM, inboxCode, launchChromium, openDemo, operate, screenshot } from "../support/browser.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * How the demo page fails, in Debian's Chromium: a failure next to the button that caused it
 * (at phone width the log is far below), a spent OTP marked spent, a start that cannot happen said
 * plainly, and a console left quiet by the journey's expected 4xx answers.
 */
if (!HAS_CHROMIUM) console.log("NOTE: the demo failure suite did not run: no Chromium (apt-get install -y chromium).");

const PHONE = { width: 390, height: 844 };

describe.runIf(HAS_CHROMIUM)("the demo page when things fail", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const field = (page: Page, form: string, name: string) => page.locator(`form[data-form="${form}"] [name="${name}"]`);
  /** The feedback line a button points to (aria-describedby). */
  async function feedbackOf(page: Page, selector: string) {
    const id = await page.locator(selector).getAttribute("aria-describedby");
    expect(id, `${selector} has no feedback line`).toBeTruthy();
    return page.locator(`#${id}`);
  }
  /** Console errors and warnings, and script errors, from now on. */
  function listen(page: Page): string[] {
    const noise: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") noise.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (error) => noise.push(`pageerror: ${error.message}`));
    return noise;
  }
  /** SMS sent so far on this server: the inbox panel lists them all, newest first. */
  let sms = 0;
  async function enroll(page: Page, pin: string) {
    await operate(page, "button[data-op=createAccount]");
    await operate(page, "button[data-op=S5][data-from=shortcut]");
    sms += 1;
    await field(page, "shortcut", "smsCode").fill(await inboxCode(page, sms));
    await field(page, "shortcut", "pinCode").fill(pin);
    expect(await operate(page, "button[data-op=S11]")).toMatchObject({ status: "SUCCEEDED" });
  }

  it("at phone width, shows a failure next to its button with the plain meaning; a success clears it", async () => {
    const page = await openDemo(browser, server.url, PHONE);
    await operate(page, "button[data-op=createAccount]");
    expect(await operate(page, "button[data-op=S3]")).toMatchObject({ error: { code: 2307 } });
    const line = await feedbackOf(page, "button[data-op=S3]");
    await expect.poll(() => line.isVisible()).toBe(true);
    expect(await line.textContent()).toBe(`2307 ${ERROR_CATALOGUE[2307].label}${describeError(2307)}`);
    // Right under the button, while the log is pages below.
    const button = (await page.locator("button[data-op=S3]").boundingBox()) as { y: number; height: number };
    const box = (await line.boundingBox()) as { y: number };
    expect(box.y - (button.y + button.height)).toBeLessThan(40);
    expect(box.y).toBeGreaterThan(button.y);
    const log = (await page.locator("#log").boundingBox()) as { y: number };
    expect(log.y - box.y).toBeGreaterThan(2 * PHONE.height);
    await line.evaluate((element) => element.scrollIntoView({ block: "center" }));
    await screenshot(page, "11-phone-failure-next-to-button", false);

    // A failure elsewhere is shown there, and leaves this one; a success in this group clears it.
    expect(await operate(page, "button[data-op=S16]")).toMatchObject({ error: { code: 2313 } });
    expect(await (await feedbackOf(page, "button[data-op=S16]")).textContent()).toContain("2313 ");
    expect(await line.textContent()).toContain("2307 ");
    expect(await operate(page, "button[data-op=S1]")).toMatchObject({ status: "SUCCEEDED" });
    expect(await line.isVisible()).toBe(false);
  });

  it("at phone width, a wrong PIN says so beside the OTP button; the right one clears it", async () => {
    const page = await openDemo(browser, server.url, PHONE);
    await enroll(page, "4829");
    await field(page, "otp", "pinCode").fill("0000");
    expect(await operate(page, "button[data-op=S15]")).toMatchObject({ error: { code: 2308 } });
    const line = await feedbackOf(page, "button[data-op=S15]");
    await expect.poll(() => line.textContent()).toBe(`2308 inwebo: access refused${describeError(2308)}`);
    await line.evaluate((element) => element.scrollIntoView({ block: "center" }));
    await screenshot(page, "12-phone-wrong-pin-next-to-button", false);
    await field(page, "otp", "pinCode").fill("4829");
    expect(await operate(page, "button[data-op=S15]")).toMatchObject({ status: "SUCCEEDED" });
    expect(await line.isVisible()).toBe(false);
  });

  it("marks an OTP spent once the SDK has sent it, on the page and in the log", async () => {
    const page = await openDemo(browser, server.url);
    await enroll(page, "4829");
    await field(page, "otp", "pinCode").fill("4829");
    const shown = (await operate(page, "button[data-op=S15]")).result.otp as string;
    await expect.poll(() => page.textContent("#otp")).toBe(shown);
    expect(await page.getAttribute("#otp", "data-state")).toBeNull();

    // The unlock carries it (and refuses it: it was not asked for this command); it is gone.
    expect(await operate(page, "button[data-op=unlock]")).toMatchObject({ error: { code: 2302 } });
    expect(await page.getAttribute("#otp", "data-state")).toBe("spent");
    expect(await page.locator(`#log li[data-otp="${shown}"] .spent-tag`).textContent()).toBe("spent");
    // The 2302 is answered by the PIN prompt, not shown as a failure beside the button.
    expect(await (await feedbackOf(page, "button[data-op=unlock]")).isVisible()).toBe(false);

    // Step-up: the OTP asked for the unlock is consumed by it, and marked so.
    await field(page, "stepup", "pinCode").fill("4829");
    await page.click("button[data-op=confirm]");
    await expect.poll(() => page.textContent("#unlock"), { timeout: 10_000 }).toContain("Unlocked VF3LCYHZPHS123456");
    const stepUp = page.locator("#log li[data-otp]").first();
    expect(await stepUp.getAttribute("data-otp")).not.toBe(shown);
    expect(await stepUp.locator(".spent-tag").textContent()).toBe("spent");
    await page.locator("#otp").evaluate((element) => element.scrollIntoView({ block: "center" }));
    await screenshot(page, "13-otp-spent", false);
  });

  it("leaves the console quiet through the journey's expected 4xx answers", async () => {
    const page = await openDemo(browser, server.url);
    const noise = listen(page);
    await operate(page, "button[data-op=createAccount]");
    await field(page, "otp", "pinCode").fill("4829");
    const expected = [
      ["button[data-op=S3]", 2307],
      ["button[data-op=S4]", 2307],
      ["button[data-op=S15]", 2313],
      ["button[data-op=S16]", 2313],
    ] as const;
    for (const [selector, code] of expected) {
      expect(await operate(page, selector), selector).toMatchObject({ status: "FAILED", error: { code } });
    }
    await field(page, "shortcut", "phoneNumber").fill("0123");
    expect(await operate(page, "button[data-op=S5][data-from=shortcut]")).toMatchObject({ error: { code: 2102 } });
    await field(page, "account", "password").fill("not the password");
    expect(await operate(page, "button[data-op=login]")).toMatchObject({ error: { code: 2401 } });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a poll of the inbox or two
    expect(noise).toEqual([]);
  });

  it("says it cannot start when the browser gives it no IndexedDB, instead of Starting… forever", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    await context.addInitScript(() => {
      // As in a browser with storage blocked for the site: no IndexedDB at all.
      Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
    });
    const page = await context.newPage();
    const noise = listen(page);
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=failed]", { timeout: 10_000 });
    expect(await page.textContent("#state")).toContain("Cannot start: this browser gives the page no IndexedDB");
    expect(await page.locator("button[data-op]:not([disabled])").count()).toBe(0);
    expect(noise).toEqual([]);
    await screenshot(page, "14-phone-no-indexeddb", false);
  });

  it("says it cannot start when IndexedDB refuses to open (as in a private window of some browsers)", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    await context.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException(
          "A mutation operation was attempted on a database that did not allow mutations.",
          "InvalidStateError",
        );
      };
    });
    const page = await context.newPage();
    const noise = listen(page);
    await page.goto(server.url);
    await page.waitForSelector("html[data-ready=failed]", { timeout: 10_000 });
    expect(await page.textContent("#state")).toContain("Cannot start: IndexedDB refused to open the page's store");
    expect(noise).toEqual([]);
  });

  it("says it cannot start when the server is down, instead of Starting… forever", async () => {
    const host = await startDemoWithServerDown();
    try {
      const page = await (await browser.newContext({ viewport: PHONE })).newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(host.url);
      await page.waitForSelector("html[data-ready=failed]", { timeout: 10_000 });
      expect(await page.textContent("#state")).toBe(
        `Cannot start: the Pims server at ${host.url} does not answer (is \`npm start\` still running?). Reload the page once it is up.`,
      );
      expect(errors).toEqual([]);
      await screenshot(page, "15-phone-server-down", false);
    } finally {
      await host.close();
    }
  });

  it("says it cannot start when its scripts cannot load (an SDK not built), instead of Starting… forever", async () => {
    const host = await startDemoWithServerDown({ withoutSdk: true });
    try {
      const page = await (await browser.newContext({ viewport: PHONE })).newPage();
      await page.goto(host.url);
      await page.waitForSelector("html[data-ready=failed]", { timeout: 10_000 });
      expect(await page.textContent("#state")).toBe(
        "Cannot start: the page's scripts did not load (is the SDK built? Run `npm run build`, then reload).",
      );
    } finally {
      await host.close();
    }
  });

  it("stops asking for the inbox, and says so, on a server without one", async () => {
    const proxy = await proxyWithoutInbox(server.url);
    try {
      const page = await (await browser.newContext()).newPage();
      const noise = listen(page);
      await page.goto(proxy.url);
      await page.waitForSelector("html[data-ready=true]");
      await expect
        .poll(() => page.textContent("#inbox"))
        .toBe("This server has no development inbox (its SMS provider is not the console one).");
      await new Promise((resolve) => setTimeout(resolve, 2500)); // two more polls, were it still polling
      expect(proxy.inboxRequests()).toBe(1);
      // The one 404 the browser logs, not one a second.
      expect(noise.length).toBeLessThanOrEqual(1);
      expect(await operate(page, "button[data-op=createAccount]")).toMatchObject({ status: "SUCCEEDED" });
    } finally {
      await proxy.close();
    }
  });
});
