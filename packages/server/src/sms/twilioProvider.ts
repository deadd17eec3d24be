import { postWithRetry, type RetryPolicy } from "./postWithRetry.js";
import type { SmsProvider } from "./SmsProvider.js";

export interface TwilioSettings {
  readonly accountSid: string;
  readonly authToken: string;
  readonly from: string | undefined;
  readonly messagingServiceSid: string | undefined;
  /** `https://api.twilio.com`, or a local fake in tests. */
  readonly baseUrl: string;
}

/**
 * Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded
 * `To`, `Body` and `From` (or `MessagingServiceSid`), HTTP Basic with the account SID and token.
 */
export function twilioProvider(settings: TwilioSettings, policy: RetryPolicy): SmsProvider {
  const url = `${settings.baseUrl.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString("base64")}`;
  return {
    name: "twilio",
    async send({ to, body, from }) {
      const form = new URLSearchParams({ To: to, Body: body });
      if (settings.messagingServiceSid) form.set("MessagingServiceSid", settings.messagingServiceSid);
      else if (from ?? settings.from) form.set("From", from ?? (settings.from as string));
      await postWithRetry(
        url,
        {
          headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
        },
        policy,
      );
    },
  };
}
