import { describe, expect, it } from "vitest";
import { DOCUMENTED_OPERATIONS, documented, OPERATION_DOCS } from "./docs.js";
import { OPERATIONS } from "./OPERATIONS.js";
import { otpWithPin } from "./otp.js";
import { modifyPhoneNumber } from "./smscode.js";
import type { OperationDeclaration } from "./types.js";

/** Every key of a value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

describe("OPERATION_DOCS (the prose kept out of the SDK's bundle)", () => {
  it("leaves the declarations the SDK loads without a summary, a description or an example", () => {
    const prose = OPERATIONS.flatMap((op) =>
      keysOf({ ...op, extraErrors: {} })
        .filter((key) => key === "summary" || key === "description" || key === "example")
        .map((key) => `${op.name}: ${key}`),
    );
    expect(prose).toEqual([]);
  });

  it("documents every declared operation, and nothing else", () => {
    expect(Object.keys(OPERATION_DOCS).sort()).toEqual(OPERATIONS.map((op) => op.name).sort());
  });

  it("gives each operation a summary, each parameter a description, each result field a description", () => {
    expect(DOCUMENTED_OPERATIONS.map((op) => op.name)).toEqual(OPERATIONS.map((op) => op.name));
    for (const op of DOCUMENTED_OPERATIONS) {
      expect(op.summary, op.name).toMatch(/^[A-Z].*\.$/);
      for (const param of op.params) expect(param.description, `${op.name} ${param.name}`).toMatch(/^\S.*\.$/);
      for (const [name, field] of Object.entries(op.result ?? {}))
        expect(field.description, `${op.name} ${name}`).toMatch(/^\S.*\.$/);
    }
  });

  it("joins a declaration with its documentation, keeping its order, its flags and its formats", () => {
    const op = documented(modifyPhoneNumber);
    expect(op.params.map((p) => [p.name, p.required, p.secret, p.example])).toEqual([
      ["smsCode", true, true, "123456"],
      ["phoneNumber", true, false, "0612345678"],
      ["pinCode", false, true, "4821"],
    ]);
    expect(op.params[2]?.description).toContain("Pims extension, optional");
    expect(op.path).toBe("/v1/phone/modify");
    expect(op.extraErrors).toEqual(modifyPhoneNumber.extraErrors);
    const otp = documented(otpWithPin);
    expect(Object.keys(otp.result ?? {})).toEqual(["otp", "transaction"]);
    expect(otp.result?.otp).toEqual({ type: "string", description: "The one-time password, digits." });
    expect(otp.params.map((p) => p.format)).toEqual(otpWithPin.params.map((p) => p.format));
  });

  it("refuses an operation it has no entry for, rather than documenting it empty", () => {
    const unknown = { ...otpWithPin, name: "otp.unknown" } as unknown as OperationDeclaration;
    expect(() => documented(unknown)).toThrow("otp.unknown has no entry in OPERATION_DOCS");
  });
});
