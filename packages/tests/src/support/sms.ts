import { expect } from "vitest";

/** Numbers handed out by this process: a random start, then one after the other. */
let sequence = Math.floor(Math.random() * 9_000_000);

/**
 * A valid French mobile number no other test of this process uses, in national and E.164 forms.
 * Always in the allocated 061 range (not every 06 range is allocated: 0639…, 069… are not).
 */
export function newPhone(): { national: string; e164: string } {
  sequence = (sequence + 1) % 10_000_000;
  const digits = `1${String(sequence).padStart(7, "0")}`;
  return { national: `06${digits}`, e164: `+336${digits}` };
}

/** The messages of the development inbox, newest first. */
export async function inbox(url: string, to?: string): Promise<{ to: string; body: string; at: number }[]> {
  const query = to === undefined ? "" : `?to=${encodeURIComponent(to)}`;
  const response = await fetch(`${url}/dev/sms${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: { to: string; body: string; at: number }[] }).messages;
}

/** The code of the newest SMS to `e164`. */
export async function latestCode(url: string, e164: string): Promise<string> {
  const [message] = await inbox(url, e164);
  const code = message ? /\b(\d{4,10})\b/.exec(message.body)?.[1] : undefined;
  if (code === undefined) throw new Error(`no SMS code for ${e164}`);
  return code;
}

/** A code of the same length that is not `code`. */
export function otherCode(code: string): string {
  return code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
}
