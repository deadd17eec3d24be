import { describe, expect, it } from "vitest";
import { enroll, enrollWithPhoneNumber, otpWithPin, updatePin } from "../operations/index.js";
import { createAccount, loginUser } from "../operations/user.js";
import { validateParams } from "./validateParams.js";

describe("validateParams", () => {
  it("accepts digit strings and non-negative integers, and hands back digit strings", () => {
    expect(validateParams(otpWithPin, { action: "withPIN", pinCode: "1234" })).toEqual({
      ok: true,
      value: { pinCode: "1234" },
    });
    expect(validateParams(otpWithPin, { pinCode: 98765 })).toEqual({ ok: true, value: { pinCode: "98765" } });
  });

  it("drops selector keys and undeclared keys", () => {
    const parsed = JSON.parse('{"action":"withPIN","pinCode":"1234","extra":"x","__proto__":{"a":1}}');
    const r = validateParams(otpWithPin, parsed);
    expect(r).toEqual({ ok: true, value: { pinCode: "1234" } });
    if (r.ok) expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it.each([undefined, null, ""])("treats %j as missing: 2101", (value) => {
    expect(validateParams(otpWithPin, { pinCode: value })).toEqual({
      ok: false,
      failure: { code: 2101, parameter: "pinCode" },
    });
  });

  it.each([" ", "12a4", "12", "1234567890123", -1, 1.5, Number.NaN, true, {}, [], "１２３４"])(
    "answers 2102 for pinCode %j",
    (value) => {
      expect(validateParams(otpWithPin, { pinCode: value })).toEqual({
        ok: false,
        failure: { code: 2102, parameter: "pinCode" },
      });
    },
  );

  it("checks parameters in declaration order and names the first one at fault", () => {
    expect(validateParams(updatePin, {})).toEqual({ ok: false, failure: { code: 2101, parameter: "oldPIN" } });
    expect(validateParams(updatePin, { oldPIN: "1234", newPIN: "x" })).toEqual({
      ok: false,
      failure: { code: 2102, parameter: "newPIN" },
    });
    expect(validateParams(enrollWithPhoneNumber, { pinCode: "1234", smsCode: "123456" })).toEqual({
      ok: false,
      failure: { code: 2101, parameter: "phoneNumber" },
    });
  });

  it("lets optional parameters be absent", () => {
    expect(validateParams(enroll, { pinCode: "1234" })).toEqual({ ok: true, value: { pinCode: "1234" } });
    expect(validateParams(enroll, { pinCode: "1234", smsCode: "x" })).toEqual({
      ok: false,
      failure: { code: 2102, parameter: "smsCode" },
    });
  });

  it("accepts national and E.164 phone shapes and refuses others", () => {
    const params = (phoneNumber: unknown) => ({ pinCode: "1234", smsCode: "123456", phoneNumber });
    expect(validateParams(enrollWithPhoneNumber, params("0612345678")).ok).toBe(true);
    expect(validateParams(enrollWithPhoneNumber, params("+33 6 12 34 56 78")).ok).toBe(true);
    expect(validateParams(enrollWithPhoneNumber, params(612345678)).ok).toBe(true);
    for (const bad of ["+", "06-abc", "1", "++33612345678", "0612345678; DROP", 12.5]) {
      expect(validateParams(enrollWithPhoneNumber, params(bad)), String(bad)).toEqual({
        ok: false,
        failure: { code: 2102, parameter: "phoneNumber" },
      });
    }
  });

  it("applies the password policy of account creation, not of login", () => {
    expect(validateParams(createAccount, { login: "alice", password: "short" })).toEqual({
      ok: false,
      failure: { code: 2102, parameter: "password" },
    });
    expect(validateParams(loginUser, { login: "alice", password: "short" }).ok).toBe(true);
    expect(validateParams(loginUser, { login: "  alice  ", password: "x" })).toEqual({
      ok: true,
      value: { login: "alice", password: "x" },
    });
    expect(validateParams(loginUser, { login: "a\u0000b", password: "x" })).toEqual({
      ok: false,
      failure: { code: 2102, parameter: "login" },
    });
  });

  it("hands back a transaction as its RFC 8785 canonical text, and answers 2102 for one that is not valid", () => {
    const transaction = { vin: "VF3LCYHZPHS123456", type: "vehicle.unlock" };
    expect(validateParams(otpWithPin, { pinCode: "1234", transaction })).toEqual({
      ok: true,
      value: { pinCode: "1234", transaction: '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}' },
    });
    for (const bad of [{ type: "payment", amount: 0.1 }, JSON.stringify(transaction), [transaction], 5]) {
      expect(validateParams(otpWithPin, { pinCode: "1234", transaction: bad })).toEqual({
        ok: false,
        failure: { code: 2102, parameter: "transaction" },
      });
    }
  });

  it("answers 2102 parameters when the parameters are not a plain object", () => {
    for (const bad of [null, [], "pinCode=1234", 5, new Date()]) {
      expect(validateParams(otpWithPin, bad)).toEqual({ ok: false, failure: { code: 2102, parameter: "parameters" } });
    }
  });
});
