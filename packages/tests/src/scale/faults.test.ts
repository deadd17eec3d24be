import { createAccount, enrollWithPhoneNumber, isDeviceActivated, requestPhoneCertificationCode } from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { CLUSTER_ENGINES, type Cluster, clusterCode, startCluster } from "../support/cluster.js";
import { newPhone } from "../support/sms.js";

/**
 * A process killed with SIGKILL in the middle of a load of enrollments: every enrollment it (or any
 * process) acknowledged with SUCCEEDED is still there after the restart, and the other processes
 * keep serving meanwhile. Figures printed.
 */
const ENGINES = CLUSTER_ENGINES.filter((engine) => engine !== "postgres+redis");

interface Acknowledged {
  readonly store: PimsStore;
  readonly process: number;
}

describe.each(ENGINES)("SIGKILL under load (%s)", (engine) => {
  let cluster: Cluster | undefined;
  afterAll(() => cluster?.close());

  it("loses nothing acknowledged; the others keep serving; the restarted process serves", async () => {
    cluster = await startCluster(engine, 3, { PIMS_SMS_PER_PHONE_HOUR: "1000", PIMS_SMS_PER_PHONE_DAY: "1000" });
    const running = cluster;
    const acknowledged: Acknowledged[] = [];
    const failedAttempts = [0, 0, 0];
    let killedAt = Number.POSITIVE_INFINITY;
    let servedAfterKill = 0;
    let stop = false;

    const enrollOnce = async (index: number) => {
      const store = memoryStore();
      const pims: Pims = createPims();
      await pims.initialize({ serverUrl: running.urls[index] as string, store, timeoutMs: 5_000 });
      const created = await pims.set(createAccount.api, {
        action: "createAccount",
        login: `load-${engine}-${Math.random().toString(36).slice(2)}`,
        password: "load-test-password",
      });
      if (created.status !== "SUCCEEDED") return false;
      const phone = newPhone();
      const asked = await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: phone.national,
      });
      if (asked.status !== "SUCCEEDED") return false;
      const enrolled = await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode: "51739264",
        smsCode: clusterCode(running, phone.e164),
        phoneNumber: phone.national,
      });
      if (enrolled.status !== "SUCCEEDED") return false;
      acknowledged.push({ store, process: index });
      if (Date.now() > killedAt && index !== 1) servedAfterKill++;
      return true;
    };

    const workers = Array.from({ length: 6 }, async (_, worker) => {
      for (let round = 0; !stop; round++) {
        const index = (worker + round) % 3;
        if (!(await enrollOnce(index).catch(() => false))) failedAttempts[index] = (failedAttempts[index] ?? 0) + 1;
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const beforeKill = acknowledged.filter((a) => a.process === 1).length;
    killedAt = Date.now();
    await running.processes[1]?.stop("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    stop = true;
    await Promise.all(workers);

    const restarted = await running.restart(1);
    let found = 0;
    for (const { store } of acknowledged) {
      const pims = createPims();
      await pims.initialize({ serverUrl: restarted, store });
      const status = await pims.get(isDeviceActivated.api, { actionType: "strong", type: "isDeviceActivated" });
      if (status.status === "SUCCEEDED" && (status.result as { isDeviceActivated: boolean }).isDeviceActivated) found++;
    }
    console.log(
      `[figures] ${engine}: ${acknowledged.length} enrollments acknowledged (${beforeKill} by the killed process before SIGKILL), ` +
        `${found} found after restart; ${servedAfterKill} served by the others after the kill; ` +
        `failed attempts per process ${failedAttempts.join("/")}`,
    );
    expect(beforeKill).toBeGreaterThan(0);
    expect(servedAfterKill).toBeGreaterThan(0);
    expect([failedAttempts[0], failedAttempts[2]]).toEqual([0, 0]);
    expect(found).toBe(acknowledged.length);
  }, 90_000);
});
