import type { IncomingMessage } from "node:http";
import { rawServer } from "./rawServers.js";

export interface TwilioCall {
  readonly to: string;
  readonly from: string | null;
  readonly body: string;
}

/**
 * A local stand-in for Twilio's Messages API that checks requests as the real one does: the path
 * `/2010-04-01/Accounts/{Sid}/Messages.json`, HTTP Basic with that SID and the token (401, code
 * 20003), a form body with `To` in E.164 (400, code 21211), `Body`, and `From` or
 * `MessagingServiceSid` (400, code 21603). Success is 201 with a message resource.
 */
export async function startFakeTwilio(options: { accountSid: string; authToken: string; failNext?: number }) {
  const received: TwilioCall[] = [];
  let failures = options.failNext ?? 0;
  const server = await rawServer(async (req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const expectedPath = `/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
    if (req.method !== "POST" || req.url !== expectedPath) return reply(404, { code: 20404, message: "Not found" });
    const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expectedAuth) {
      return reply(401, { code: 20003, message: "Authenticate", status: 401 });
    }
    if (!req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
      return reply(400, { code: 20001, message: "Invalid content type" });
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get("To") ?? "";
    const from = form.get("From");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return reply(400, { code: 21211, message: "Invalid 'To' Phone Number" });
    if (!from && !form.get("MessagingServiceSid"))
      return reply(400, { code: 21603, message: "A 'From' phone number is required" });
    if (!form.get("Body")) return reply(400, { code: 21602, message: "Message body is required" });
    if (failures > 0) {
      failures--;
      return reply(503, { code: 20500, message: "Service unavailable" });
    }
    received.push({ to, from, body: form.get("Body") as string });
    return reply(201, { sid: `SM${received.length.toString().padStart(32, "0")}`, status: "queued", to, from });
  });
  return { ...server, received, failNext: (n: number) => (failures = n) };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => resolve(body));
  });
}
