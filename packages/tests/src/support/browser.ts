import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { REPOSITORY_ROOT } from "./spawnPims.js";

/** Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it), or PIMS_TEST_CHROMIUM. */
export const CHROMIUM = process.env.PIMS_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const SCREENSHOTS = join(REPOSITORY_ROOT, "test-artifacts", "screenshots");

export async function launchChromium(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

/** The demo page of `url`, ready, in a new context (a new device: its own IndexedDB). */
export async function openDemo(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(url);
  await page.waitForSelector("html[data-ready=true]");
  return page;
}

/** A message as the page's log shows it. */
export interface LoggedMessage {
  status: string;
  result: Record<string, string>;
  error?: { code: number; label: string };
}

/** Clicks an operation's button and waits for the `calls` messages it adds to the log; the newest. */
export async function operate(page: Page, selector: string, calls = 1): Promise<LoggedMessage> {
  const before = await page.locator("#log li").count();
  await page.click(selector);
  // An operation that makes several calls logs each: its answer is the last one's.
  await expect.poll(() => page.locator("#log li").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + calls);
  return JSON.parse((await page.locator("#log li pre").first().textContent()) as string) as LoggedMessage;
}

/** The code of the newest SMS shown in the page's inbox panel. */
export async function inboxCode(page: Page, count: number): Promise<string> {
  await expect.poll(() => page.locator("#inbox li").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(count);
  const text = (await page.locator("#inbox li div").first().textContent()) ?? "";
  return /\d{6}/.exec(text)?.[0] ?? "";
}

/** A screenshot in test-artifacts/screenshots/: the whole page, or only what the viewport shows. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}
