import { expect } from "vitest";

let sequence = 0;

/** A valid French mobile number no other test uses: national and E.164 forms. */
export function newPhone(): { national: string; e164: string } {
  sequence += 1;
  const digits = `${String(Date.now() % 1_000_000).padStart(6, "0")}${String(sequence % 100).padStart(2, "0")}`;
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
