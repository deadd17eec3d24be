import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, otpWithoutPin, otpWithPin } from "@pims/protocol";
import { createPims, memoryStore, needsStrongAuthentication, type Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { type Spawned, spawnInRepository } from "../support/spawnPims.js";

/**
 * The vendor's step-up pattern across three processes: this test is the app (real SDK), Pims runs
 * as `pims serve`, and the sample relying party (examples/relying-party/server.js) protects its
 * routes with the Fastify plugin.
 */
let dataDir: string;
let pimsProcess: Spawned;
let relyingParty: Spawned;
let pimsUrl: string;
let rpUrl: string;
let pims: Pims;
let pin: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pims-stepup-"));
  pimsProcess = spawnInRepository("node", ["packages/server/bin/pims.js", "serve"], {
    PIMS_DATA_DIR: dataDir,
    PIMS_PORT: "0",
    PIMS_ADMIN_KEY: ADMIN_KEY,
    PIMS_OTP_TTL: "2",
    PIMS_SMS_COOLDOWN: "0",
  });
  pimsUrl = await pimsProcess.listening;
  const { key } = await createRelyingParty(pimsUrl, "sample relying party");
  relyingParty = spawnInRepository("node", ["examples/relying-party/server.js"], {
    PIMS_URL: pimsUrl,
    PIMS_RP_KEY: key,
  });
  rpUrl = await waitForUrl(relyingParty, /"url":"(http:\/\/[^"]+)","msg":"relying party is listening"/);
  pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: pimsUrl, store: memoryStore(), protectedOrigins: [rpUrl] }));
  expectSuccess(
    await pims.set(createAccount.api, {
      action: "createAccount",
      login: "stepup-user",
      password: "step-up-password",
    }),
  );
  ({ pin } = await enrollWithShortcut(pimsUrl, pims, "46802571"));
}, 60_000);

afterAll(async () => {
  await relyingParty?.stop();
  await pimsProcess?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const transfer = { to: "bob", amount: 100 };
const postTransfer = (body = transfer, headers: Record<string, string> = {}) =>
  pims.fetch(`${rpUrl}/transfer`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("step-up across SDK, Pims and a relying party", () => {
  it("first call → 2302; PIN → S15; repeat → 200; replaying the OTP → 2302", async () => {
    const first = await postTransfer();
    expect(first.status).toBe(401);
    expect(await needsStrongAuthentication(first)).toBe(true);
    const refusal = await first.json();
    expect(refusal).toMatchObject({ status: "FAILED", error: { code: 2302, label: "Need Strong Authentication" } });
    expect(typeof refusal.transactionId).toBe("string");

    // The app's few lines: ask the PIN, get an OTP for this transfer, repeat the call.
    const { otp } = expectSuccess(
      await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "transfer:bob:100" }),
    ) as { otp: string };
    const second = await postTransfer();
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({
      status: "SUCCEEDED",
      result: { transferred: 100, to: "bob", by: "stepup-user" },
    });

    // pims.fetch sends an OTP once; an attacker replaying it by hand gets 2302.
    expect(await needsStrongAuthentication(await postTransfer())).toBe(true);
    const replayed = await postTransfer(transfer, { "pims-otp": otp });
    expect(replayed.status).toBe(401);
    expect((await replayed.json()).error.code).toBe(2302);
  });

  it("an expired OTP → 2302", async () => {
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "transfer:bob:100" }));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await needsStrongAuthentication(await postTransfer())).toBe(true);
  });

  it("an OTP asked for another transfer (another context) → refused", async () => {
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "transfer:bob:100" }));
    const other = await postTransfer({ to: "eve", amount: 9_999 });
    expect(await needsStrongAuthentication(other)).toBe(true);
  });

  it("an OTP without PIN (S16) does not pass a route that demands the PIN, but passes one that does not", async () => {
    expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN", context: "transfer:bob:100" }));
    expect(await needsStrongAuthentication(await postTransfer())).toBe(true);
    expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" }));
    const profile = await pims.fetch(`${rpUrl}/profile`);
    expect(await profile.json()).toEqual({
      status: "SUCCEEDED",
      result: { username: "stepup-user", factors: ["possession"] },
    });
  });

  it("without the session's bearer → 2301", async () => {
    const anonymous = await fetch(`${rpUrl}/profile`, { headers: { "pims-otp": "12345678" } });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe(2301);
  });
});

function waitForUrl(spawned: Spawned, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const match = pattern.exec(spawned.output());
      if (match?.[1]) {
        clearInterval(poll);
        resolve(match[1]);
      } else if (Date.now() - started > 20_000 || spawned.child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`relying party did not start:\n${spawned.output()}`));
      }
    }, 50);
  });
}
