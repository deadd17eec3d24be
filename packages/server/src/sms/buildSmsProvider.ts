import type { Clock } from "../Clock.js";
import type { SmsSettings } from "../config/Config.js";
import { consoleProvider } from "./consoleProvider.js";
import type { SmsProvider } from "./SmsProvider.js";
import { twilioProvider } from "./twilioProvider.js";
import { webhookProvider } from "./webhookProvider.js";

/** The provider `PIMS_SMS_PROVIDER` names (loadConfig checked its settings). */
export function buildSmsProvider(
  settings: SmsSettings,
  clock: Clock,
  consoleStream?: { write(text: string): unknown },
): SmsProvider {
  const policy = { timeoutMs: settings.timeoutMs, retries: settings.retries };
  switch (settings.provider) {
    case "console":
      return consoleProvider(consoleStream);
    case "webhook":
      if (!settings.webhook) throw new Error("webhook settings missing");
      return webhookProvider(settings.webhook, policy, clock);
    case "twilio":
      if (!settings.twilio) throw new Error("twilio settings missing");
      return twilioProvider(settings.twilio, policy);
  }
}
