import { describe, expect, it } from "vitest";
import { documentedErrors } from "./documentedErrors.js";
import { OPERATIONS } from "./OPERATIONS.js";
import type { OperationDeclaration } from "./types.js";

/** Spec §2, one row per operation: id, verb, api, selector, parameters (required ones marked). */
const SPEC_TABLE: ReadonlyArray<[string, string, string, Record<string, string>, string[]]> = [
  ["S1", "get", "pims.authentication.account", { actionType: "strong", type: "isDeviceActivated" }, []],
  ["S2", "get", "pims.authentication.account", { actionType: "strong", type: "isAccountBlocked" }, []],
  ["S3", "get", "pims.authentication.trustedphonenumber", {}, []],
  ["S4", "get", "pims.authentication.smscode", { type: "enrollment" }, []],
  ["S5", "get", "pims.authentication.smscode", { type: "phoneNumberCertification" }, ["phoneNumber*"]],
  ["S6", "get", "pims.authentication.smscode", { type: "resetPIN" }, []],
  ["S7", "set", "pims.authentication.smscode", { action: "enrollment" }, ["smsCode*"]],
  ["S8", "set", "pims.authentication.smscode", { action: "addPhoneNumber" }, ["smsCode*", "phoneNumber*"]],
  ["S9", "set", "pims.authentication.smscode", { type: "modifyPhoneNumber" }, ["smsCode*", "phoneNumber*", "pinCode"]],
  ["S10", "set", "pims.authentication.enrollment", { action: "enroll" }, ["pinCode*", "smsCode"]],
  [
    "S11",
    "set",
    "pims.authentication.enrollment",
    { action: "enrollmentWithPhoneNumber" },
    ["pinCode*", "smsCode*", "phoneNumber*"],
  ],
  ["S12", "set", "pims.authentication.enrollment", { action: "remove" }, []],
  ["S13", "set", "pims.authentication.pincode", { action: "reset" }, ["pinCode*", "smsCode*"]],
  ["S14", "set", "pims.authentication.pincode", { action: "update" }, ["oldPIN*", "newPIN*"]],
  ["S15", "get", "pims.authentication.otp", { action: "withPIN" }, ["pinCode*", "context", "transaction"]],
  ["S16", "get", "pims.authentication.otp", { action: "withoutPIN" }, ["context", "transaction"]],
  ["B1", "set", "pims.authentication.user", { action: "createAccount" }, ["login*", "password*"]],
  ["B2", "set", "pims.authentication.user", { action: "login" }, ["login*", "password*"]],
  ["B3", "set", "pims.authentication.user", { action: "logout" }, []],
  ["B4", "set", "pims.authentication.user", { action: "loginWithToken" }, ["token*"]],
  ["B5", "get", "pims.authentication.account", { actionType: "basic", type: "username" }, []],
  ["B6", "get", "pims.authentication.token", { type: "customerAt" }, ["action*"]],
];

describe("operation declarations", () => {
  it("declares exactly the operations of spec §2 and basic authentication", () => {
    expect(OPERATIONS.map((op) => op.id)).toEqual(SPEC_TABLE.map(([id]) => id));
  });

  it.each(SPEC_TABLE)("%s is declared as the spec says", (id, verb, api, selector, params) => {
    const op = OPERATIONS.find((o) => o.id === id);
    expect(op?.verb).toBe(verb);
    expect(op?.api).toBe(api);
    expect(Object.fromEntries((op?.selector ?? []).map((s) => [s.key, s.value]))).toEqual(selector);
    expect(op?.params.map((p) => `${p.name}${p.required ? "*" : ""}`)).toEqual(params);
  });

  it("gives every operation a unique name and, when it reaches the server, a unique path", () => {
    const names = OPERATIONS.map((op) => op.name);
    expect(new Set(names).size).toBe(names.length);
    const paths = OPERATIONS.flatMap((op) => (op.path === null ? [] : [op.path]));
    expect(new Set(paths).size).toBe(paths.length);
    for (const path of paths) expect(path).toMatch(/^\/v1\/[a-z0-9/-]+$/);
  });

  it("requires a session for every StrongAuthentication operation", () => {
    for (const op of OPERATIONS.filter((o) => o.component === "StrongAuthentication")) {
      expect(op.access, op.id).toBe("session");
      expect(documentedErrors(op), op.id).toContain(2301);
    }
  });

  it("marks PINs, SMS codes, passwords and tokens as secrets", () => {
    for (const op of OPERATIONS) {
      for (const p of op.params) {
        const secret = ["pinCode", "smsCode", "oldPIN", "newPIN", "password", "token"].includes(p.name);
        expect(p.secret, `${op.id}.${p.name}`).toBe(secret);
      }
    }
  });

  it("documents 2000, 2001 and the transport codes for every operation that reaches the server", () => {
    for (const op of OPERATIONS) {
      const codes = documentedErrors(op);
      for (const code of [2000, 2001, 2201, 2202, 2203, 2204]) expect(codes, `${op.id} ${code}`).toContain(code);
    }
  });

  it("says what the SDK does with the device key exactly for the signed operations (decision 0023)", () => {
    const uses = Object.fromEntries(OPERATIONS.map((op) => [op.id, op.deviceKey]));
    for (const op of OPERATIONS) expect(op.deviceKey === "none", op.id).toBe(op.device === "none");
    // S7 makes the key the enrollment will register; S10/S11 make it if needed and record the
    // enrollment; S12 forgets it; the others sign with the key they have.
    expect(uses).toMatchObject({ S7: "create", S10: "enroll", S11: "enroll", S12: "forget", S1: "use", S15: "use" });
    const declarations: readonly OperationDeclaration[] = OPERATIONS;
    expect(declarations.filter((op) => op.withoutDeviceKey).map((op) => op.id)).toEqual(["S1"]);
    expect(declarations.filter((op) => op.yieldsOtp).map((op) => op.id)).toEqual(["S15", "S16"]);
  });
});
