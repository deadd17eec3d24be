import { describe, expect, it } from "vitest";
import { checkResult } from "./checkResult.js";
import { otpWithoutPin } from "./otp.js";

describe("checkResult", () => {
  it("lets an OTP come with or without its transaction, but only a valid one", () => {
    expect(checkResult(otpWithoutPin, { otp: "12345678" })).toBe(true);
    expect(checkResult(otpWithoutPin, { otp: "12345678", transaction: { type: "vehicle.unlock", vin: "VF3" } })).toBe(
      true,
    );
    expect(checkResult(otpWithoutPin, { otp: "12345678", transaction: { type: "payment", amount: 1.5 } })).toBe(false);
    expect(checkResult(otpWithoutPin, { otp: "12345678", transaction: '{"type":"payment"}' })).toBe(false);
    expect(checkResult(otpWithoutPin, { transaction: { type: "payment" } })).toBe(false);
  });
});
