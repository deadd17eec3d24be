import type { SmsProvider } from "./SmsProvider.js";

/**
 * Development SMS: prints each message on its own stream (stdout by default) — not the log, which
 * never carries a code or a number. Refused in production unless chosen explicitly.
 */
export function consoleProvider(stream: { write(text: string): unknown } = process.stdout): SmsProvider {
  return {
    name: "console",
    async send({ to, body, from }) {
      stream.write(`[pims sms] ${from === undefined ? "" : `from ${from} `}to ${to}: ${body}\n`);
    },
  };
}
