import { enrollWithPhoneNumber, loginUser, removeEnrollments, resetPin, updatePin } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollAnotherDevice, enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, initializedPims, loggedInPims } from "../support/facade.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accountIdOf, certificationCode, resetPinCode } from "../support/steps.js";

describe("audit log", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("records enrollment, PIN set/change/reset, refused PINs, block, unblock and removal — who, device, when, address, outcome, no secret", async () => {
    const { pims, login, password } = await loggedInPims(server.url);
    const pin = "64209753";
    const { phone } = await enrollWithShortcut(server.url, pims, pin);
    const second = await initializedPims(server.url);
    expectSuccess(await second.set(loginUser.api, { action: "login", login, password }));
    await enrollAnotherDevice(server.url, second, phone, pin);
    expectSuccess(await pims.set(updatePin.api, { action: "update", oldPIN: pin, newPIN: "31975308" }));
    for (let i = 0; i < 6; i++)
      await pims.set(updatePin.api, { action: "update", oldPIN: `4040404${i}`, newPIN: "11223344" });
    expectSuccess(
      await pims.set(resetPin.api, {
        action: "reset",
        pinCode: "86421357",
        smsCode: await resetPinCode(server.url, pims, phone),
      }),
    );
    for (let i = 0; i < 5; i++)
      await pims.set(updatePin.api, { action: "update", oldPIN: `5050505${i}`, newPIN: "11223344" });
    expectSuccess(await second.set(removeEnrollments.api, { action: "remove" }));

    const events = await server.server.services.db
      .selectFrom("audit_events")
      .selectAll()
      .where("account_id", "=", await accountIdOf(server.server, pims))
      .orderBy("id")
      .execute();
    const kinds = events.map((e) => `${e.event}:${e.outcome}`);
    for (const expected of [
      "phone.trust:success",
      "pin.set:success",
      "device.enroll:success",
      "device.validate:success",
      "pin.change:success",
      "pin.check:failure",
      "account.block:success",
      "pin.check:refused",
      "pin.reset:success",
      "account.unblock:success",
      "device.removeAll:success",
    ]) {
      expect(kinds, expected).toContain(expected);
    }
    expect(kinds.filter((k) => k === "device.enroll:success")).toHaveLength(2);
    expect(kinds.filter((k) => k === "account.unblock:success")).toHaveLength(2);
    for (const event of events) {
      expect(event.at).toBeGreaterThan(0);
      expect(event.client_address).toBe("127.0.0.1");
    }
    const enrollments = events.filter((e) => e.event === "device.enroll");
    for (const e of enrollments) expect(e.device_id).toMatch(/^dev_[A-Za-z0-9_-]{22}$/);
    const text = JSON.stringify(events);
    for (const secret of [pin, "31975308", "86421357", "40404040", "50505050"]) expect(text).not.toContain(secret);
  });

  it("records which relying party an administrator created and revoked, never its key", async () => {
    const admin = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
    try {
      const { id, key } = await createRelyingParty(admin.url, "audited-rp");
      await fetch(`${admin.url}/v1/admin/relying-parties/${id}/revoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const rows = await admin.server.services.db
        .selectFrom("audit_events")
        .select(["event", "outcome", "detail"])
        .where("event", "like", "admin.relyingParty.%")
        .orderBy("id")
        .execute();
      expect(rows.map((row) => [row.event, row.outcome, JSON.parse(row.detail ?? "null")])).toEqual([
        ["admin.relyingParty.create", "success", { relyingParty: id }],
        ["admin.relyingParty.revoke", "success", { relyingParty: id }],
      ]);
      expect(JSON.stringify(rows)).not.toContain(key);
    } finally {
      await admin.close();
    }
  });
});

describe("PIN policy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { PIMS_PIN_BLOCKLIST: "common", PIMS_PIN_MIN_LENGTH: "6", PIMS_PIN_MAX_LENGTH: "10" },
    });
  });
  afterAll(() => server.close());

  it.each(["123456", "111111", "654321", "456789", "098765", "12345", "12345678901"])(
    "refuses %s with 2102 pinCode (blocklist on, 6 to 10 digits)",
    async (pinCode) => {
      const { pims } = await loggedInPims(server.url);
      const phone = newPhone();
      const smsCode = await certificationCode(server.url, pims, phone);
      const message = await pims.set(enrollWithPhoneNumber.api, {
        action: "enrollmentWithPhoneNumber",
        pinCode,
        smsCode,
        phoneNumber: phone.national,
      });
      expectFailure(message, 2102, "Invalid pinCode parameter");
    },
  );

  it("accepts a PIN that is none of those", async () => {
    const { pims } = await loggedInPims(server.url);
    await enrollWithShortcut(server.url, pims, "5820173946");
  });
});
