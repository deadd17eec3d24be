import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeError } from "@pims/protocol";
import { createPims, memoryStore, type PimsMessage } from "@pims/sdk";
import { loadConfig } from "../config/loadConfig.js";
import { createPimsServer } from "../createPimsServer.js";

export interface DemoOptions {
  /** A running server in development mode; absent: an embedded one on a temporary SQLite file. */
  readonly url?: string;
  /** Admin key of that server, for the relying-party step. */
  readonly adminKey?: string;
  readonly write: (text: string) => void;
}

/**
 * `pims demo`: the whole journey of spec §3 through the real SDK, step by step, each SDK message
 * printed. Returns true when every step answered as expected.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const embedded = options.url === undefined ? await startEmbedded() : undefined;
  const url = options.url ?? (embedded?.url as string);
  const adminKey = options.adminKey ?? embedded?.adminKey;
  const { write } = options;
  let step = 0;
  const show = (title: string, message: PimsMessage, expected: "SUCCEEDED" | number = "SUCCEEDED") => {
    step += 1;
    const ok =
      expected === "SUCCEEDED"
        ? message.status === "SUCCEEDED"
        : message.status === "FAILED" && message.error.code === expected;
    const { transactionId: _id, ...shown } = message;
    // A failure also gets the catalogue's plain words beside the vendor's label.
    const meaning =
      message.status === "FAILED" ? `\n     (${message.error.code}: ${describeError(message.error.code)})` : "";
    write(`${ok ? "✓" : "✗"} ${String(step).padStart(2)}. ${title}\n     ${JSON.stringify(shown)}${meaning}\n`);
    if (!ok) throw new DemoFailure(title);
    return message;
  };
  write(`Pims demo against ${url}${embedded ? " (embedded server, temporary SQLite)" : ""}\n\n`);
  try {
    const pims = createPims();
    show("initialize the SDK", await pims.initialize({ serverUrl: url, store: memoryStore() }));
    const login = `demo-${randomBytes(4).toString("hex")}`;
    show(
      `create account "${login}" (logged in)`,
      await pims.set("pims.authentication.user", { action: "createAccount", login, password: "demo-password-1" }),
    );
    show(
      "S1 is this device activated?",
      await pims.get("pims.authentication.account", { actionType: "strong", type: "isDeviceActivated" }),
    );
    show(
      "S3 trusted phone number (none yet: 2307)",
      await pims.get("pims.authentication.trustedphonenumber", {}),
      2307,
    );
    const phone = `061${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;
    show(
      `S5 certify ${phone} (SMS sent)`,
      await pims.get("pims.authentication.smscode", { type: "phoneNumberCertification", phoneNumber: phone }),
    );
    const e164 = `+33${phone.slice(1)}`;
    let code = await latestCode(url, e164);
    write(`     SMS received: code ${code}\n`);
    show(
      "S11 enroll with the number and PIN 2853 (shortcut)",
      await pims.set("pims.authentication.enrollment", {
        action: "enrollmentWithPhoneNumber",
        pinCode: "2853",
        smsCode: code,
        phoneNumber: phone,
      }),
    );
    show(
      "S1 is this device activated?",
      await pims.get("pims.authentication.account", { actionType: "strong", type: "isDeviceActivated" }),
    );
    show(
      "S15 wrong PIN (2308, counted)",
      await pims.get("pims.authentication.otp", { action: "withPIN", pinCode: "0000" }),
      2308,
    );
    const otp = show(
      "S15 OTP with PIN",
      await pims.get("pims.authentication.otp", { action: "withPIN", pinCode: "2853" }),
    );
    if (adminKey && otp.status === "SUCCEEDED") {
      const verified = await relyingPartyVerify(url, adminKey, pims, (otp.result as { otp: string }).otp);
      step += 1;
      write(`✓ ${String(step).padStart(2)}. a relying party verifies the OTP\n     ${JSON.stringify(verified)}\n`);
    } else {
      write("     (relying-party step skipped: give --key with the server's admin key)\n");
    }
    show(
      "S14 change the PIN to 1748",
      await pims.set("pims.authentication.pincode", { action: "update", oldPIN: "2853", newPIN: "1748" }),
    );
    let reset = await pims.get("pims.authentication.smscode", { type: "resetPIN" });
    for (let wait = 0; wait < 3 && reset.status === "FAILED" && reset.error.code === 2005; wait++) {
      write("     the number's resend cooldown is running (2005): waiting 30 s…\n");
      await new Promise((resolve) => setTimeout(resolve, 31_000));
      reset = await pims.get("pims.authentication.smscode", { type: "resetPIN" });
    }
    show("S6 PIN forgotten: reset code by SMS", reset);
    code = await latestCode(url, e164);
    write(`     SMS received: code ${code}\n`);
    show(
      "S13 reset the PIN to 3691",
      await pims.set("pims.authentication.pincode", { action: "reset", pinCode: "3691", smsCode: code }),
    );
    show("S12 remove every enrollment", await pims.set("pims.authentication.enrollment", { action: "remove" }));
    show(
      "S1 is this device activated?",
      await pims.get("pims.authentication.account", { actionType: "strong", type: "isDeviceActivated" }),
    );
    show("log out", await pims.set("pims.authentication.user", { action: "logout" }));
    write(`\nAll ${step} steps answered as expected.\n`);
    return true;
  } catch (error) {
    write(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  } finally {
    await embedded?.close();
  }
}

class DemoFailure extends Error {
  constructor(step: string) {
    super(`unexpected answer at "${step}"`);
  }
}

async function latestCode(url: string, e164: string): Promise<string> {
  const response = await fetch(new URL(`/dev/sms?to=${encodeURIComponent(e164)}`, url));
  if (response.status === 404) throw new Error("this server has no SMS inbox (run it in development mode)");
  const { messages } = (await response.json()) as { messages: { body: string }[] };
  const code = /\b(\d{4,10})\b/.exec(messages[0]?.body ?? "")?.[1];
  if (!code) throw new Error(`no SMS arrived for ${e164}`);
  return code;
}

async function relyingPartyVerify(url: string, adminKey: string, pims: ReturnType<typeof createPims>, otp: string) {
  const created = await fetch(new URL("/v1/admin/relying-parties", url), {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "pims demo" }),
  });
  const { key } = ((await created.json()) as { result: { key: string } }).result;
  const token = (await pims.get("pims.authentication.token", { type: "customerAt", action: "get" })) as PimsMessage<{
    token: string;
  }>;
  const accessToken = token.status === "SUCCEEDED" ? token.result.token : "";
  const verified = await fetch(new URL("/v1/rp/verify", url), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ otp, accessToken }),
  });
  const answer = (await verified.json()) as { result?: { valid?: boolean } };
  if (answer.result?.valid !== true) throw new DemoFailure("a relying party verifies the OTP");
  return answer.result;
}

async function startEmbedded() {
  const dataDir = await mkdtemp(join(tmpdir(), "pims-demo-"));
  const adminKey = randomBytes(32).toString("base64url");
  const config = loadConfig(
    {
      PIMS_DATA_DIR: dataDir,
      PIMS_SECRET_KEY: randomBytes(32).toString("base64url"),
      PIMS_ADMIN_KEY: adminKey,
      PIMS_LOG_LEVEL: "silent",
      PIMS_SMS_COOLDOWN: "0",
    },
    { port: 0, host: "127.0.0.1", mode: "development" },
  );
  const server = await createPimsServer({ config, smsConsole: { write: () => true } });
  const url = await server.listen();
  return {
    url,
    adminKey,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
