import {
  enroll,
  enrollWithPhoneNumber,
  isAccountBlocked,
  isDeviceActivated,
  loginUser,
  removeEnrollments,
  resetPin,
  trustedPhoneNumber,
  updatePin,
  validateEnrollmentCode,
} from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollAnotherDevice, enrollWithShortcut, shortcutAttempt, trustNumber } from "../support/enroll.js";
import { expectFailure, expectSuccess, initializedPims, loggedInPims } from "../support/facade.js";
import { newPhone, otherCode } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { certificationCode, enrollmentCode, resetPinCode } from "../support/steps.js";
import { failingStore, storedSession } from "../support/stores.js";

const isActivated = { actionType: "strong", type: "isDeviceActivated" };
const isBlocked = { actionType: "strong", type: "isAccountBlocked" };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_MAX_DEVICES: "3" } });
});
afterAll(() => server.close());

/** A second device (its own store) logged in to the same account. */
async function secondDevice(login: string, password: string, store: PimsStore = memoryStore()): Promise<Pims> {
  const pims = await initializedPims(server.url, store);
  expectSuccess(await pims.set(loginUser.api, { action: "login", login, password }));
  return pims;
}

describe("check (spec §3): S1, S2, S3 before enrolling", () => {
  it("a new device is not activated, the account not blocked, and has no number", async () => {
    const { pims } = await loggedInPims(server.url);
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    expect(expectSuccess(await pims.get(isAccountBlocked.api, isBlocked))).toEqual({ isAccountBlocked: "NotBlocked" });
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });
});

describe("shortcut: S5 then S11", () => {
  it("trusts the number, sets the PIN and enrolls this device", async () => {
    const { pims } = await loggedInPims(server.url);
    const { phone } = await enrollWithShortcut(server.url, pims);
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: true });
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: phone.national });
  });

  it("accepts the v2.3 action name enrollWithPhoneNumber", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const smsCode = await certificationCode(server.url, pims, phone);
    expectSuccess(
      await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollWithPhoneNumber",
        pinCode: "2468013",
        smsCode,
        phoneNumber: phone.e164,
      }),
    );
  });

  it("answers 2390 when another account trusts the number; nothing changes", async () => {
    const { phone } = await enrollWithShortcut(server.url, (await loggedInPims(server.url)).pims);
    const { pims } = await loggedInPims(server.url);
    const smsCode = await certificationCode(server.url, pims, phone);
    expectFailure(
      await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode: "5716",
        smsCode,
        phoneNumber: phone.national,
      }),
      2390,
    );
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });

  it("answers 2317 when the account already has a number (use the full method)", async () => {
    const { pims } = await loggedInPims(server.url);
    const first = newPhone();
    await trustNumber(server.url, pims, first);
    const second = newPhone();
    const smsCode = await certificationCode(server.url, pims, second);
    expectFailure(
      await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode: "5716",
        smsCode,
        phoneNumber: second.e164,
      }),
      2317,
    );
  });

  it("answers 2305 for a wrong code, 2102 for a PIN outside the policy, 2101 without one", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    const attempt = (pinCode: unknown, smsCode = code) =>
      pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode,
        smsCode,
        phoneNumber: phone.national,
      });
    expectFailure(await attempt("123456789"), 2102, "Invalid pinCode parameter"); // 9 digits: over the maximum of 8
    expectFailure(await attempt("12"), 2102, "Invalid pinCode parameter");
    expectFailure(await attempt(undefined), 2101, "Missing pinCode parameter");
    expectFailure(await attempt("4597", otherCode(code)), 2305);
    expectSuccess(await attempt("4597"));
  });
});

describe("full method: S5 + S8, S4, S7, S10", () => {
  it("NotEnrolled: the first device chooses the PIN; S10 may omit the code S7 validated", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    await trustNumber(server.url, pims, phone);
    const smsCode = await enrollmentCode(server.url, pims, phone);
    expect(expectSuccess(await pims.set(validateEnrollmentCode.api, { action: "enrollment", smsCode }))).toEqual({
      status: "NotEnrolled",
    });
    expectSuccess(await pims.set(enroll.api, { action: "enroll", pinCode: "97531" }));
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: true });
  });

  it("AlreadyEnrolled: a second device types the account PIN; a wrong one is 2308", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    const other = await secondDevice(login, password);
    expect(expectSuccess(await other.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    const smsCode = await enrollmentCode(server.url, other, phone);
    expect(expectSuccess(await other.set(validateEnrollmentCode.api, { action: "enrollment", smsCode }))).toEqual({
      status: "AlreadyEnrolled",
    });
    expectFailure(
      await other.set(enroll.api, { action: "enroll", pinCode: "11112222" }),
      2308,
      "inwebo: access refused",
    );
    expectSuccess(await other.set(enroll.api, { action: "enroll", pinCode: pin }));
    expect(expectSuccess(await other.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: true });
  });

  it("S10 with the code itself, without S7 (the vendor's iOS variant)", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    const other = await secondDevice(login, password);
    const smsCode = await enrollmentCode(server.url, other, phone);
    expectSuccess(await other.set(enroll.api, { action: "enroll", pinCode: pin, smsCode }));
  });

  it("S10 without S7 and without a code answers 2305; S7 without a number 2307, with a wrong code 2305", async () => {
    const { pims } = await loggedInPims(server.url);
    expectFailure(await pims.set(validateEnrollmentCode.api, { action: "enrollment", smsCode: "123456" }), 2307);
    const phone = newPhone();
    await trustNumber(server.url, pims, phone);
    expectFailure(await pims.set(enroll.api, { action: "enroll", pinCode: "1375" }), 2305);
    const code = await enrollmentCode(server.url, pims, phone);
    expectFailure(await pims.set(validateEnrollmentCode.api, { action: "enrollment", smsCode: otherCode(code) }), 2305);
  });

  it("beyond the maximum of devices per account (3 here): 2317", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    await enrollAnotherDevice(server.url, await secondDevice(login, password), phone, pin);
    await enrollAnotherDevice(server.url, await secondDevice(login, password), phone, pin);
    const fourth = await secondDevice(login, password);
    expectSuccess(
      await fourth.set(validateEnrollmentCode.api, {
        action: "enrollment",
        smsCode: await enrollmentCode(server.url, fourth, phone),
      }),
    );
    expectFailure(await fourth.set(enroll.api, { action: "enroll", pinCode: pin }), 2317);
  });
});

describe("PIN change (S14), on one device, is the PIN of the other", () => {
  it("changes the PIN on device A; device B checks the new one", async () => {
    const { pims: a, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, a);
    const b = await secondDevice(login, password);
    await enrollAnotherDevice(server.url, b, phone, pin);
    expectSuccess(await a.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "86420" }));
    expectFailure(await b.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "13579" }), 2308);
    expectSuccess(await b.set(updatePin.api, { action: "update", oldPIN: "86420", newPIN: "13579" }));
    expectSuccess(await a.set(updatePin.api, { action: "update", oldPIN: "13579", newPIN: "24680" }));
  });

  it("answers 2315 for a new PIN equal to the current one, 2308 for a wrong old one", async () => {
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: pin }), 2315);
    expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: "99990000", newPIN: "12121" }), 2308);
    expectFailure(
      await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "1" }),
      2102,
      "Invalid newPIN parameter",
    );
  });

  it("from a device that is not enrolled: 2313", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    const other = await secondDevice(login, password);
    expectFailure(await other.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "75319" }), 2313);
  });
});

describe("lockout and the way back", () => {
  it("5 wrong PINs block the account: S2 PinBlocked, PIN operations 2310, S10 2317; S6 + S13 unblock", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    for (let i = 0; i < 5; i++) {
      expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: `1000000${i}`, newPIN: "24680" }), 2308);
    }
    expect(expectSuccess(await pims.get(isAccountBlocked.api, isBlocked))).toEqual({ isAccountBlocked: "PinBlocked" });
    expectFailure(
      await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "24680" }),
      2310,
      "inwebo: account is blocked",
    );
    const other = await secondDevice(login, password);
    expectSuccess(
      await other.set(validateEnrollmentCode.api, {
        action: "enrollment",
        smsCode: await enrollmentCode(server.url, other, phone),
      }),
    );
    expectFailure(await other.set(enroll.api, { action: "enroll", pinCode: pin }), 2317);

    const resetCode = await resetPinCode(server.url, pims, phone);
    expectFailure(await pims.set(resetPin.api, { action: "reset", pinCode: pin, smsCode: resetCode }), 2315);
    expectSuccess(
      await pims.set(resetPin.api, {
        action: "reset",
        pinCode: "31415926",
        smsCode: await resetPinCode(server.url, pims, phone),
      }),
    );
    expect(expectSuccess(await pims.get(isAccountBlocked.api, isBlocked))).toEqual({ isAccountBlocked: "NotBlocked" });
    expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: "31415926", newPIN: "27182818" }));
  });

  it("a correct PIN resets the count", async () => {
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    let current = pin;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) {
        expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: "55550000", newPIN: "24680" }), 2308);
      }
      const next = `2468${round}1`;
      expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: current, newPIN: next }));
      current = next;
    }
    expect(expectSuccess(await pims.get(isAccountBlocked.api, isBlocked))).toEqual({ isAccountBlocked: "NotBlocked" });
  });

  it("blocked, the user removes every enrollment (S12 after S7) and starts again", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const { phone } = await enrollWithShortcut(server.url, pims);
    for (let i = 0; i < 5; i++)
      await pims.set(updatePin.api, { action: "update", oldPIN: `2000000${i}`, newPIN: "24680" });
    const fresh = await secondDevice(login, password);
    expectSuccess(
      await fresh.set(validateEnrollmentCode.api, {
        action: "enrollment",
        smsCode: await enrollmentCode(server.url, fresh, phone),
      }),
    );
    expectSuccess(await fresh.set(removeEnrollments.api, { action: "remove" }));
    expect(expectSuccess(await fresh.get(isAccountBlocked.api, isBlocked))).toEqual({ isAccountBlocked: "NotBlocked" });
    // The first device was removed too: its next call says so, and it forgets its key.
    expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: "1234", newPIN: "24680" }), 2312);
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    // Start again: the account has no PIN any more.
    const status = await fresh.set(validateEnrollmentCode.api, {
      action: "enrollment",
      smsCode: await enrollmentCode(server.url, fresh, phone),
    });
    expect(expectSuccess(status)).toEqual({ status: "NotEnrolled" });
    expectSuccess(await fresh.set(enroll.api, { action: "enroll", pinCode: "80808" }));
  });
});

describe("S12 remove", () => {
  it("from an enrolled device: every device and the PIN go; S1 false everywhere", async () => {
    const { pims: a, login, password } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, a);
    const bStore = memoryStore();
    const b = await secondDevice(login, password, bStore);
    await enrollAnotherDevice(server.url, b, phone, pin);
    expectSuccess(await a.set(removeEnrollments.api, { action: "remove" }));
    expect(expectSuccess(await a.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    const keysBefore = await countDeviceKeys(bStore);
    expect(keysBefore).toBe(1);
    expectFailure(await b.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "24680" }), 2312);
    expect(await countDeviceKeys(bStore)).toBe(0);
    expect(expectSuccess(await b.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: false });
    expect(expectSuccess(await b.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: phone.national });
  });

  it("from a device that proved nothing (no enrollment, no S7): 2305", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    await enrollWithShortcut(server.url, pims);
    const stranger = await secondDevice(login, password);
    expectFailure(await stranger.set(removeEnrollments.api, { action: "remove" }), 2305);
    expect(expectSuccess(await pims.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: true });
  });
});

describe("when the device's store and the server disagree", () => {
  it("the store fails after the server enrolled: 2316, then the next initialize repairs it", async () => {
    const store = failingStore((key, value) => key.startsWith("pims.device.") && hasEnrolledAt(value));
    const { pims } = await loggedInPims(server.url, store);
    expectFailure(
      await shortcutAttempt(server.url, pims, "60606"),
      2316,
      "inwebo: the operation succeeded but it required a post-synchronization which failed",
    );
    store.setFailing(() => false);
    const restarted = createPims();
    expectSuccess(await restarted.initialize({ serverUrl: server.url, store }));
    const device = (await store.get(await deviceKeyName(store))) as { enrolledAt?: number };
    expect(device.enrolledAt).toBeGreaterThan(0);
    expect(expectSuccess(await restarted.get(isDeviceActivated.api, isActivated))).toEqual({ isDeviceActivated: true });
    expectSuccess(await restarted.set(updatePin.api, { action: "update", oldPIN: "60606", newPIN: "70707" }));
  });

  it("the store cannot even keep a new key: 2311 and nothing is asked of the server", async () => {
    const store = failingStore((key) => key.startsWith("pims.device."));
    const { pims } = await loggedInPims(server.url, store);
    expectFailure(await shortcutAttempt(server.url, pims, "60606"), 2311);
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });

  it("a device that believes it is enrolled but the server does not know: 2311, key forgotten", async () => {
    const store = memoryStore();
    const { pims } = await loggedInPims(server.url, store);
    await enrollWithShortcut(server.url, pims);
    const name = await deviceKeyName(store);
    const device = (await store.get(name)) as { id: string };
    await server.server.services.db.deleteFrom("devices").where("id", "=", device.id).execute();
    expectFailure(await pims.set(updatePin.api, { action: "update", oldPIN: "48213579", newPIN: "24680" }), 2311);
    expect(await store.get(name)).toBeUndefined();
  });
});

async function countDeviceKeys(store: PimsStore): Promise<number> {
  const session = await storedSession(store);
  return (await store.get(`pims.device.${session.accountId}`)) === undefined ? 0 : 1;
}

async function deviceKeyName(store: PimsStore): Promise<string> {
  const session = await storedSession(store);
  return `pims.device.${session.accountId}`;
}

function hasEnrolledAt(value: unknown): boolean {
  return typeof value === "object" && value !== null && "enrolledAt" in value;
}
