import { addPhoneNumber, modifyPhoneNumber, requestPhoneCertificationCode, trustedPhoneNumber } from "@pims/protocol";
import type { Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { inbox, newPhone, otherCode } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { certificationCode, enrollmentCode, resetPinCode } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

/**
 * SMS codes and trusted numbers under attack (design properties 5–7). Each test opens with what
 * the attacker tries.
 */

const clock = new TestClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock, env: { PIMS_SMS_TRY_BUDGET: "5" } });
});
afterAll(() => server.close());

const add = (pims: Pims, smsCode: string, phone: { national: string }) =>
  pims.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national });

describe("guessing a code", () => {
  it("the attacker tries three wrong codes: the right one then fails too", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    for (let i = 0; i < 3; i++) expectFailure(await add(pims, otherCode(code), phone), 2305);
    expectFailure(await add(pims, code, phone), 2305, "The sms code is invalid");
    expectFailure(await pims.get(trustedPhoneNumber.api, {}), 2307);
  });

  it("the attacker asks for a new code after each burst: the budget is not restored", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const first = await certificationCode(server.url, pims, phone);
    for (let i = 0; i < 3; i++) expectFailure(await add(pims, otherCode(first), phone), 2305);
    const second = await certificationCode(server.url, pims, phone);
    for (let i = 0; i < 2; i++) expectFailure(await add(pims, otherCode(second), phone), 2305);
    // Five tries spent the account's budget: over it a code allows one try, and this one has had
    // two, so the right code is refused. (A fresh code would still get its one try.)
    expectFailure(await add(pims, second, phone), 2305);
    clock.advance(24 * 3_600_000 + 1);
    const third = await certificationCode(server.url, pims, phone);
    expectSuccess(await add(pims, third, phone));
  });

  it("the attacker sends 20 guesses at once: at most 3 are compared, the right code among them or not", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    const guesses = Array.from({ length: 20 }, (_, i) => (i === 19 ? code : otherCode(code)));
    const answers = await Promise.all(guesses.map((g) => add(pims, g, phone)));
    const rows = await server.server.services.db
      .selectFrom("sms_codes")
      .select("attempts")
      .where("phone_e164", "=", phone.e164)
      .execute();
    expect(rows.map((r) => r.attempts)).toEqual([3]);
    expect(answers.filter((a) => a.status === "SUCCEEDED").length).toBeLessThanOrEqual(1);
  });
});

describe("using a code outside what it was sent for", () => {
  it("the attacker waits: a code older than its lifetime (5 min) is refused", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    clock.advance(5 * 60_000 + 1);
    expectFailure(await add(pims, code, phone), 2305);
  });

  it("a code used once cannot be used again", async () => {
    const { pims } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    const next = newPhone();
    const code = await certificationCode(server.url, pims, next);
    const change = { type: "modifyPhoneNumber", smsCode: code, phoneNumber: next.national, pinCode: pin };
    expectSuccess(await pims.set(modifyPhoneNumber.api, change));
    expectFailure(await pims.set(modifyPhoneNumber.api, change), 2305);
    expect(phone.e164).not.toBe(next.e164);
  });

  it("the attacker uses a reset-PIN code to certify a number (another purpose)", async () => {
    const { pims } = await loggedInPims(server.url);
    const { phone, pin } = await enrollWithShortcut(server.url, pims);
    const resetCode = await resetPinCode(server.url, pims, phone);
    const other = newPhone();
    await certificationCode(server.url, pims, other);
    expectFailure(
      await pims.set(modifyPhoneNumber.api, {
        type: "modifyPhoneNumber",
        smsCode: resetCode,
        phoneNumber: other.national,
        pinCode: pin,
      }),
      2305,
    );
  });

  it("the attacker certifies their own number, then claims another with that code (another number)", async () => {
    const { pims } = await loggedInPims(server.url);
    const own = newPhone();
    const victim = newPhone();
    const code = await certificationCode(server.url, pims, own);
    expectFailure(await add(pims, code, victim), 2305);
  });

  it("a code of another account is refused", async () => {
    const alice = await loggedInPims(server.url);
    const mallory = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, alice.pims, phone);
    await certificationCode(server.url, mallory.pims, newPhone());
    expectFailure(await add(mallory.pims, code, phone), 2305);
  });

  it("an earlier code is void once a new one is asked for", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const first = await certificationCode(server.url, pims, phone);
    const second = await certificationCode(server.url, pims, phone);
    if (first !== second) expectFailure(await add(pims, first, phone), 2305);
    expectSuccess(await add(pims, second, phone));
  });
});

describe("two accounts racing for one number", () => {
  it("both hold a valid code and add at the same instant: exactly one wins, the other gets 2390", async () => {
    const phone = newPhone();
    const contenders = await Promise.all(Array.from({ length: 6 }, () => loggedInPims(server.url)));
    const codes: string[] = [];
    for (const { pims } of contenders) codes.push(await certificationCode(server.url, pims, phone));
    const answers = await Promise.all(contenders.map(({ pims }, i) => add(pims, codes[i] as string, phone)));
    const won = answers.filter((a) => a.status === "SUCCEEDED");
    expect(won).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status === "FAILED")) expectFailure(answer, 2390);
    const owners = await server.server.services.db
      .selectFrom("trusted_phones")
      .selectAll()
      .where("phone_e164", "=", phone.e164)
      .execute();
    expect(owners).toHaveLength(1);
  });
});

describe("the secrets stay out of the logs", () => {
  it("no SMS code and no phone number appears in any log line", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    await add(pims, otherCode(code), phone);
    await add(pims, code, phone);
    const enrollmentSmsCode = await enrollmentCode(server.url, pims, phone);
    const text = server.logs.join("\n");
    expect(text).toContain("smscode.addPhoneNumber");
    for (const secret of [code, otherCode(code), enrollmentSmsCode, phone.e164, phone.national, phone.e164.slice(1)]) {
      expect(text).not.toContain(secret);
    }
    const audit = await server.server.services.db.selectFrom("audit_events").selectAll().execute();
    const auditText = JSON.stringify(audit);
    for (const secret of [code, enrollmentSmsCode]) expect(auditText).not.toContain(secret);
  });

  it("the database keeps no code in clear, only keyed MACs", async () => {
    const { pims } = await loggedInPims(server.url);
    const phone = newPhone();
    const code = await certificationCode(server.url, pims, phone);
    const rows = await server.server.services.db.selectFrom("sms_codes").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(code);
  });
});

describe("pumping: scripts asking for SMS without end", () => {
  let guarded: TestServer;
  const guardClock = new TestClock();
  beforeAll(async () => {
    guarded = await startTestServer({
      clock: guardClock,
      env: {
        PIMS_SMS_COOLDOWN: "30",
        PIMS_SMS_PER_PHONE_HOUR: "3",
        PIMS_SMS_PER_PHONE_DAY: "4",
        PIMS_SMS_PER_ACCOUNT_HOUR: "6",
        PIMS_SMS_PER_ADDRESS_HOUR: "8",
      },
    });
  });
  afterAll(() => guarded.close());

  const ask = (pims: Pims, phone: { national: string }) =>
    pims.get(requestPhoneCertificationCode.api, { type: "phoneNumberCertification", phoneNumber: phone.national });

  it("asking again within the cooldown gets 2005 and sends nothing; the cooldown grows", async () => {
    const { pims } = await loggedInPims(guarded.url);
    const phone = newPhone();
    expectSuccess(await ask(pims, phone));
    expectFailure(await ask(pims, phone), 2005, "Duplicate command");
    guardClock.advance(30_000);
    expectSuccess(await ask(pims, phone));
    guardClock.advance(30_000);
    expectFailure(await ask(pims, phone), 2005);
    guardClock.advance(30_000);
    expectSuccess(await ask(pims, phone));
    expect(await inbox(guarded.url, phone.e164)).toHaveLength(3);
  });

  it("a number gets at most its hourly quota, then its daily quota, however requests are spread: then 2383", async () => {
    const phone = newPhone();
    const accounts = await Promise.all(Array.from({ length: 3 }, () => loggedInPims(guarded.url)));
    const round = async (times: number) => {
      let sent = 0;
      for (let i = 0; i < times; i++) {
        guardClock.advance(5 * 60_000); // longer than any cooldown reached here
        const answer = await ask((accounts[i % 3] as { pims: Pims }).pims, phone);
        if (answer.status === "SUCCEEDED") sent++;
        else expectFailure(answer, 2383, "error.accountTemporarilyLockedOut");
      }
      return sent;
    };
    expect(await round(6)).toBe(3); // 30 minutes, hourly quota 3
    guardClock.advance(60 * 60_000);
    expect(await round(3)).toBe(1); // a new hour, but the daily quota is 4
    expect(await inbox(guarded.url, phone.e164)).toHaveLength(4);
  });

  it("concurrent requests for one number cannot exceed the quota (one atomic reservation each)", async () => {
    const { pims } = await loggedInPims(guarded.url);
    const phones = [newPhone()];
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(pims, phones[0] as { national: string })));
    expect(answers.filter((a) => a.status === "SUCCEEDED")).toHaveLength(1);
    for (const a of answers.filter((x) => x.status === "FAILED")) {
      expect([2005, 2383]).toContain(a.status === "FAILED" ? a.error.code : 0);
    }
  });

  it("one account spreading requests over many numbers hits its own quota", async () => {
    guardClock.advance(2 * 3_600_000);
    const { pims } = await loggedInPims(guarded.url);
    const results = [];
    for (let i = 0; i < 8; i++) results.push((await ask(pims, newPhone())).status);
    expect(results.filter((s) => s === "SUCCEEDED")).toHaveLength(6);
  });

  it("one client address spreading over accounts and numbers hits the address quota", async () => {
    guardClock.advance(2 * 3_600_000);
    let sent = 0;
    for (let i = 0; i < 12; i++) {
      const { pims } = await loggedInPims(guarded.url);
      if ((await ask(pims, newPhone())).status === "SUCCEEDED") sent++;
    }
    expect(sent).toBe(8);
  });

  it("refused sends are audited, without the number", async () => {
    const refused = await guarded.server.services.db
      .selectFrom("audit_events")
      .selectAll()
      .where("event", "=", "sms.send")
      .where("outcome", "=", "refused")
      .execute();
    expect(refused.length).toBeGreaterThan(0);
    expect(JSON.stringify(refused)).not.toMatch(/\+33\d{9}/);
  });
});
