import {
  createAccount,
  enrollWithPhoneNumber,
  otpWithoutPin,
  otpWithPin,
  requestPhoneCertificationCode,
  updatePin,
} from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_ENGINES, type Cluster, clusterCode, startCluster } from "../support/cluster.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { holdingFetch, recordingFetch, replay } from "../support/recordingFetch.js";
import { createRelyingParty, verifyOtp } from "../support/relyingParty.js";
import { newPhone } from "../support/sms.js";
import { accessToken } from "../support/steps.js";

/**
 * Three server processes, one shared store: every limit is global. Clients are spread across the
 * processes; the figures are printed.
 */
if (CLUSTER_ENGINES.length < 3) {
  console.log(
    `NOTE: multi-process suites ran on ${CLUSTER_ENGINES.join(", ")} only (set PIMS_TEST_DATABASE_URL and PIMS_TEST_REDIS_URL for the others).`,
  );
}

describe.each(CLUSTER_ENGINES)("three processes sharing %s", (engine) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(engine, 3, { PIMS_SMS_PER_PHONE_HOUR: "3", PIMS_SMS_PER_PHONE_DAY: "100" });
  }, 60_000);
  afterAll(() => cluster?.close());

  /** One facade per process, all on one device (one store). */
  async function facades(store: PimsStore, fetchImpl?: typeof fetch): Promise<Pims[]> {
    return Promise.all(
      cluster.urls.map(async (serverUrl) => {
        const pims = createPims();
        expectSuccess(await pims.initialize({ serverUrl, store, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
        return pims;
      }),
    );
  }

  /** A new account enrolled (shortcut) through process 0; facades on every process share its device. */
  async function enrolledEverywhere(pin: string, fetchImpl?: typeof fetch) {
    const store = memoryStore();
    const [first] = await facades(store, fetchImpl);
    const pims = first as Pims;
    expectSuccess(
      await pims.set(createAccount.api, {
        action: "createAccount",
        login: `mp-${engine}-${Math.random().toString(36).slice(2)}`,
        password: "multi-process-password",
      }),
    );
    const phone = newPhone();
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      }),
    );
    expectSuccess(
      await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode: pin,
        smsCode: clusterCode(cluster, phone.e164),
        phoneNumber: phone.national,
      }),
    );
    return { store, all: await facades(store, fetchImpl) };
  }

  it("PIN lockout: 60 wrong PINs sent at once to all three → exactly 5 compared", async () => {
    const { all } = await enrolledEverywhere("24681357");
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (all[i % 3] as Pims).get(otpWithPin.api, { action: "withPIN", pinCode: String(10_000_000 + i) }),
      ),
    );
    const codes = answers.map((a) => (a.status === "FAILED" ? a.error.code : 0));
    const counted = codes.filter((c) => c === 2308).length;
    const blocked = codes.filter((c) => c === 2310).length;
    console.log(
      `[figures] ${engine}: 60 concurrent wrong PINs over 3 processes → ${counted} compared (2308), ${blocked} refused as blocked (2310)`,
    );
    expect(counted).toBe(5);
    expect(blocked).toBe(55);
  });

  it("one OTP verified concurrently on all three → exactly one success", async () => {
    const { all } = await enrolledEverywhere("13572468");
    const pims = all[1] as Pims;
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: "13572468" })) as {
      otp: string;
    };
    const token = await accessToken(pims);
    const rp = await createRelyingParty(cluster.urls[0] as string);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        verifyOtp(cluster.urls[i % 3] as string, rp.key, { otp, accessToken: token }),
      ),
    );
    const valid = results.filter((r) => r.body.result?.valid === true).length;
    console.log(
      `[figures] ${engine}: 60 concurrent verifications of one OTP over 3 processes → ${valid} valid, ${60 - valid} refused`,
    );
    expect(valid).toBe(1);
  });

  it("OTP guessing over all three: 9 concurrent wrong guesses leave the live OTP valid, 10 void it; the next verifies", async () => {
    const { all } = await enrolledEverywhere("97864213");
    const pims = all[2] as Pims;
    const issue = async () =>
      (expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string }).otp;
    const token = await accessToken(pims);
    const rp = await createRelyingParty(cluster.urls[0] as string);
    const verify = (otp: string, i: number) =>
      verifyOtp(cluster.urls[i % 3] as string, rp.key, { otp, accessToken: token });
    const wrong = (otp: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) => String(40_000_000 + i))
          .map((g) => (g === otp ? "40000099" : g))
          .map((g, i) => verify(g, i)),
      );
    const first = await issue();
    await wrong(first, 9);
    const afterNine = (await verify(first, 1)).body.result?.valid;
    const second = await issue();
    await wrong(second, 10);
    const afterTen = (await verify(second, 2)).body.result?.valid;
    const third = (await verify(await issue(), 0)).body.result?.valid;
    console.log(
      `[figures] ${engine}: live OTP after 9 concurrent wrong guesses over 3 processes: ${afterNine ? "valid" : "refused"}; after 10: ${afterTen ? "valid" : "voided"}; the next OTP: ${third ? "valid" : "refused"}`,
    );
    expect(afterNine).toBe(true);
    expect(afterTen).toBe(false);
    expect(third).toBe(true);
  });

  it("SMS quota of a number (3 per hour) holds across the three", async () => {
    const phone = newPhone();
    const askers = await Promise.all(
      cluster.urls.map(async (serverUrl, i) => {
        const pims = createPims();
        expectSuccess(await pims.initialize({ serverUrl }));
        expectSuccess(
          await pims.set(createAccount.api, {
            action: "createAccount",
            login: `quota-${engine}-${i}-${Math.random().toString(36).slice(2)}`,
            password: "quota-password",
          }),
        );
        return pims;
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (askers[i % 3] as Pims).get(requestPhoneCertificationCode.api, {
          type: "phoneNumberCertification",
          phoneNumber: phone.national,
        }),
      ),
    );
    const sent = cluster.sms.filter((m) => m.to === phone.e164).length;
    const refused = answers.filter((a) => a.status === "FAILED" && a.error.code === 2383).length;
    console.log(
      `[figures] ${engine}: 12 SMS asked for one number over 3 processes, quota 3 → ${sent} sent, ${refused} refused (2383)`,
    );
    const codes = answers.map((a) => (a.status === "FAILED" ? a.error.code : "ok")).join(",");
    expect(sent, `answers: ${codes}`).toBe(3);
    expect(
      answers.filter((a) => a.status === "SUCCEEDED"),
      `answers: ${codes}`,
    ).toHaveLength(3);
    expect(refused, `answers: ${codes}`).toBe(9);
  });

  it("copies of one signed S15 raced over the three → one answered, the others refused as replays (2311), one PIN attempt counted", async () => {
    // S15 spends its nonce in the transaction of its PIN attempt and OTP (NONCE_IN_TRANSACTION):
    // the copies race on the nonce's row, the first commits, the others find it spent.
    const wire = holdingFetch((url) => url.endsWith("/v1/otp/with-pin"));
    const { all } = await enrolledEverywhere("75318642", wire.fetch);
    const pims = all[0] as Pims;
    const race = async (pinCode: string) => {
      const signed = await wire.held(() => pims.get(otpWithPin.api, { action: "withPIN", pinCode }));
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          replay(signed, { url: signed.url.replace(cluster.urls[0] as string, cluster.urls[i % 3] as string) }),
        ),
      );
      return answers.map((a) => (a.body.status === "SUCCEEDED" ? "ok" : a.body.error?.code));
    };
    const right = await race("75318642");
    const wrong = await race("11111111");
    console.log(
      `[figures] ${engine}: 12 copies of one S15 over 3 processes → right PIN: ${right.filter((c) => c === "ok").length} OTP, ${right.filter((c) => c === 2311).length} replays; wrong PIN: ${wrong.filter((c) => c === 2308).length} compared, ${wrong.filter((c) => c === 2311).length} replays`,
    );
    expect(right.filter((c) => c === "ok")).toHaveLength(1);
    expect(right.filter((c) => c === 2311)).toHaveLength(11);
    expect(wrong.filter((c) => c === 2308)).toHaveLength(1);
    expect(wrong.filter((c) => c === 2311)).toHaveLength(11);
    // The replays spent no attempt: one wrong PIN counted, so four more are compared and the
    // next finds the account blocked (five).
    const after = [];
    for (let i = 0; i < 5; i++) {
      const answer = await (all[i % 3] as Pims).get(otpWithPin.api, { action: "withPIN", pinCode: "22222222" });
      after.push(answer.status === "FAILED" ? answer.error.code : "ok");
    }
    expect(after).toEqual([2308, 2308, 2308, 2308, 2310]);
  });

  it("a signed request replayed to another process is refused", async () => {
    const recorder = recordingFetch();
    const { all } = await enrolledEverywhere("86427531", recorder.fetch);
    expectSuccess(
      await (all[0] as Pims).set(updatePin.api, {
        action: "update",
        oldPIN: "86427531",
        newPIN: "97531864",
      }),
    );
    const signed = recorder.sent.filter((r) => r.url.endsWith("/v1/pin/update")).at(-1);
    if (!signed) throw new Error("no signed request recorded");
    const elsewhere = signed.url.replace(cluster.urls[0] as string, cluster.urls[2] as string);
    const replayed = await replay(signed, { url: elsewhere });
    console.log(`[figures] ${engine}: signed PIN change replayed to another process → ${replayed.body.error?.code}`);
    expect(replayed.body.error?.code).toBe(2311);
    expectFailure(
      await (all[1] as Pims).set(updatePin.api, {
        action: "update",
        oldPIN: "86427531",
        newPIN: "11223344",
      }),
      2308,
    );
  });
});
