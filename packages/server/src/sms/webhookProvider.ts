import { createHmac } from "node:crypto";
import type { Clock } from "../Clock.js";
import { postWithRetry, type RetryPolicy } from "./postWithRetry.js";
import type { SmsProvider } from "./SmsProvider.js";

/**
 * Posts `{"to": "+33612345678", "body": "…"}` (and `"from"`, the tenant's sender id, when it has one) to a URL of the deployment's choosing. With a
 * secret, adds `Pims-Timestamp` and `Pims-Signature: sha256=<hex HMAC of "<timestamp>.<body>">` so
 * the receiver can check the sender and refuse replays.
 */
export function webhookProvider(
  settings: { url: string; secret: string | undefined },
  policy: RetryPolicy,
  clock: Clock,
): SmsProvider {
  return {
    name: "webhook",
    async send({ to, body, from }) {
      const payload = JSON.stringify(from === undefined ? { to, body } : { to, body, from });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (settings.secret) {
        const timestamp = String(Math.floor(clock.now() / 1000));
        headers["pims-timestamp"] = timestamp;
        headers["pims-signature"] =
          `sha256=${createHmac("sha256", settings.secret).update(`${timestamp}.${payload}`).digest("hex")}`;
      }
      await postWithRetry(settings.url, { headers, body: payload }, policy);
    },
  };
}
