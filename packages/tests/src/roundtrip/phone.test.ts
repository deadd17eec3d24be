import {
  addPhoneNumber,
  modifyPhoneNumber,
  requestEnrollmentCode,
  requestPhoneCertificationCode,
  requestResetPinCode,
  trustedPhoneNumber,
} from "@pims/protocol";
import type { Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut, trustNumber } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { inbox, newPhone, otherCode } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, certificationCode } from "../support/steps.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const trust = (pims: Pims, phone: { national: string; e164: string }) => trustNumber(server.url, pims, phone);

describe("S3 trusted phone number", () => {
  it("answers 2307 when the account has none", async () => {
    const { pims } = await loggedInPims(server.url);
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307, "User dont have a phone number");
  });

  it("answers the national format for a number of the default region", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    await trust(pims, { national: phone.e164, e164: phone.e164 });
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: phone.national });
  });

  it("answers E.164 for a number of another region", async () => {
    const { pims } = await loggedInPims(server.url);
    const belgian = { national: "+32470123456", e164: "+32470123456" };
    await trust(pims, belgian);
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: "+32470123456" });
  });
});

describe("S5 phone number certification", () => {
  it("sends a 6-digit code to the given number, in national or international form", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const message = await pims.get(requestPhoneCertificationCode.api, {
      type: "phoneNumberCertification",
      phoneNumber: phone.national,
    });
    expect(message).toMatchObject({ status: "SUCCEEDED", result: null });
    const [sms] = await inbox(server.url, phone.e164);
    expect(sms?.body).toMatch(/^\d{6} is your Pims code to confirm this phone number\. It expires in 5 min\./);
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        type: "phoneNumberCertification",
        phoneNumber: `+33 ${phone.national.slice(1)}`,
      }),
    );
    expect(await inbox(server.url, phone.e164)).toHaveLength(2);
  });

  it("writes the SMS in French when the app asks for French", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const token = await accessToken(pims);
    const response = await fetch(`${server.url}/v1/sms/phone-certification`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "accept-language": "fr-FR,fr;q=0.9",
      },
      body: JSON.stringify({ phoneNumber: phone.national }),
    });
    expect(response.status).toBe(200);
    const [sms] = await inbox(server.url, phone.e164);
    expect(sms?.body).toMatch(/^\d{6} est votre code Pims pour confirmer ce numéro\./);
  });

  it.each([
    ["a number too short", "0612"],
    ["a fixed line (cannot receive SMS)", "0140000000"],
    ["a number that does not exist", "+999123456789"],
    ["letters", "06-CALL-ME"],
  ])("answers 2102 for %s, and sends nothing", async (_name, phoneNumber) => {
    const { pims } = await loggedInPims(server.url);
    const before = (await inbox(server.url)).length;
    expectFailure(
      await pims.get(requestPhoneCertificationCode.api, { type: "phoneNumberCertification", phoneNumber }),
      2102,
      "Invalid phoneNumber parameter",
    );
    expect((await inbox(server.url)).length).toBe(before);
  });

  it("answers 2101 without a number", async () => {
    const { pims } = await loggedInPims(server.url);
    expectFailure(
      await pims.get(requestPhoneCertificationCode.api, { type: "phoneNumberCertification" }),
      2101,
      "Missing phoneNumber parameter",
    );
  });
});

describe("S8 add phone number", () => {
  it("trusts the certified number", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    await trust(pims, phone);
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: phone.national });
  });

  it("accepts `type` in place of `action` (the vendor's pages disagree)", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const smsCode = await certificationCode(server.url, pims, phone);
    expectSuccess(await pims.set(addPhoneNumber.api, { type: "addPhoneNumber", smsCode, phoneNumber: phone.e164 }));
  });

  it("answers 2305 for a wrong code, and keeps no number", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const smsCode = otherCode(await certificationCode(server.url, pims, phone));
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national }),
      2305,
    );
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });

  it("answers 2390 when another account trusts the number", async () => {
    const phone = newPhone();
    await trust((await loggedInPims(server.url)).pims, phone);
    const { pims } = await loggedInPims(server.url);
    const smsCode = await certificationCode(server.url, pims, phone);
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national }),
      2390,
      "Phone number allready registered",
    );
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });

  it("answers 2317 when the account already trusts a number (S9 replaces it)", async () => {
    const { pims } = await loggedInPims(server.url);
    await trust(pims, newPhone());
    const second = newPhone();
    const smsCode = await certificationCode(server.url, pims, second);
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: second.national }),
      2317,
    );
  });

  it("answers 2101/2102 naming the parameter", async () => {
    const { pims } = await loggedInPims(server.url);
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", phoneNumber: "0612345678" }),
      2101,
      "Missing smsCode parameter",
    );
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode: "123456" }),
      2101,
      "Missing phoneNumber parameter",
    );
    expectFailure(
      await pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode: "12x456", phoneNumber: "0612345678" }),
      2102,
      "Invalid smsCode parameter",
    );
  });
});

describe("S4 enrollment code and S6 reset-PIN code", () => {
  it.each([
    ["S4", requestEnrollmentCode, "enrollment", /to enroll this device/],
    ["S6", requestResetPinCode, "resetPIN", /to reset your PIN/],
  ] as const)("%s sends its code to the trusted number", async (_id, operation, type, text) => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    await trust(pims, phone);
    expect(await pims.get(operation.api, { type })).toMatchObject({ status: "SUCCEEDED", result: null });
    const [sms] = await inbox(server.url, phone.e164);
    expect(sms?.body).toMatch(text);
  });

  it.each([
    ["enrollment", requestEnrollmentCode],
    ["resetPIN", requestResetPinCode],
  ] as const)("%s without a trusted number answers 2307 and sends nothing", async (type, operation) => {
    const { pims } = await loggedInPims(server.url);
    const before = (await inbox(server.url)).length;
    expectFailure(await pims.get(operation.api, { type }), 2307);
    expect((await inbox(server.url)).length).toBe(before);
  });
});

describe("S9 modify phone number", () => {
  it("needs an enrolled device: a session alone gets 2313", async () => {
    const { pims } = await loggedInPims(server.url);
    await trust(pims, newPhone());
    const next = newPhone();
    const smsCode = await certificationCode(server.url, pims, next);
    expectFailure(
      await pims.set(modifyPhoneNumber.api, { type: "modifyPhoneNumber", smsCode, phoneNumber: next.national }),
      2313,
    );
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).not.toEqual({ phoneNumber: next.national });
  });

  it("replaces the trusted number with a newly certified one", async () => {
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    const next = newPhone();
    const smsCode = await certificationCode(server.url, pims, next);
    expectSuccess(
      await pims.set(modifyPhoneNumber.api, {
        type: "modifyPhoneNumber",
        smsCode,
        phoneNumber: next.national,
        pinCode: pin,
      }),
    );
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: next.national });
  });

  it("voids codes sent to the former number", async () => {
    const { pims } = await loggedInPims(server.url);
    const { phone: former, pin } = await enrollWithShortcut(server.url, pims);
    expectSuccess(await pims.get(requestResetPinCode.api, { type: "resetPIN" }));
    const next = newPhone();
    expectSuccess(
      await pims.set(modifyPhoneNumber.api, {
        type: "modifyPhoneNumber",
        smsCode: await certificationCode(server.url, pims, next),
        phoneNumber: next.e164,
        pinCode: pin,
      }),
    );
    const rows = await server.server.services.db
      .selectFrom("sms_codes")
      .select(["purpose", "consumed_at"])
      .where("phone_e164", "=", former.e164)
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.consumed_at).not.toBeNull();
  });

  it("answers 2390 when another account trusts the new number, and keeps the old one", async () => {
    const taken = newPhone();
    await trust((await loggedInPims(server.url)).pims, taken);
    const { pims } = await loggedInPims(server.url);
    const { phone: mine, pin } = await enrollWithShortcut(server.url, pims);
    const smsCode = await certificationCode(server.url, pims, taken);
    expectFailure(
      await pims.set(modifyPhoneNumber.api, {
        type: "modifyPhoneNumber",
        smsCode,
        phoneNumber: taken.national,
        pinCode: pin,
      }),
      2390,
    );
    expect(expectSuccess(await pims.get(trustedPhoneNumber.api, {}))).toEqual({ phoneNumber: mine.national });
  });

  it("answers 2305 for a code of another number", async () => {
    const { pims } = await loggedInPims(server.url);
    const { pin } = await enrollWithShortcut(server.url, pims);
    const asked = newPhone();
    const claimed = newPhone();
    const smsCode = await certificationCode(server.url, pims, asked);
    expectFailure(
      await pims.set(modifyPhoneNumber.api, {
        type: "modifyPhoneNumber",
        smsCode,
        phoneNumber: claimed.national,
        pinCode: pin,
      }),
      2305,
    );
  });
});
