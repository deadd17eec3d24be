import { describe, expect, it } from "vitest";
import { resolveOperation } from "./resolveOperation.js";

const ok = (id: string) => ({ ok: true, id });
const run = (api: unknown, verb: "get" | "set", params: Record<string, unknown>) => {
  const r = resolveOperation(api, verb, params);
  return r.ok ? { ok: true, id: r.operation.id } : { ok: false, ...r.failure };
};

describe("resolveOperation", () => {
  it.each([
    ["pims.authentication.account", "get", { actionType: "strong", type: "isDeviceActivated" }, ok("S1")],
    ["pims.authentication.account", "get", { actionType: "strong", type: "isAccountBlocked" }, ok("S2")],
    ["pims.authentication.account", "get", { actionType: "basic", type: "username" }, ok("B5")],
    ["pims.authentication.trustedphonenumber", "get", {}, ok("S3")],
    ["pims.authentication.smscode", "get", { type: "enrollment" }, ok("S4")],
    ["pims.authentication.smscode", "set", { action: "enrollment" }, ok("S7")],
    ["pims.authentication.smscode", "set", { action: "addPhoneNumber" }, ok("S8")],
    ["pims.authentication.smscode", "set", { type: "addPhoneNumber" }, ok("S8")],
    ["pims.authentication.smscode", "set", { type: "modifyPhoneNumber" }, ok("S9")],
    ["pims.authentication.smscode", "set", { action: "modifyPhoneNumber" }, ok("S9")],
    ["pims.authentication.enrollment", "set", { action: "enrollmentWithPhoneNumber" }, ok("S11")],
    ["pims.authentication.enrollment", "set", { action: "enrollWithPhoneNumber" }, ok("S11")],
    ["pims.authentication.otp", "get", { action: "withoutPIN" }, ok("S16")],
  ] as const)("%s %s %j → %j", (api, verb, params, expected) => {
    expect(run(api, verb, params)).toEqual(expected);
  });

  it("answers 2002 for an unknown api, or a known api under the other verb", () => {
    expect(run("pims.vehicle.vin", "set", {})).toEqual({ ok: false, code: 2002 });
    expect(run("pims.authentication.otp", "set", { action: "withPIN" })).toEqual({ ok: false, code: 2002 });
    expect(run("pims.authentication.trustedphonenumber", "set", {})).toEqual({ ok: false, code: 2002 });
    expect(run(42, "get", {})).toEqual({ ok: false, code: 2002 });
  });

  it("answers 2101 naming the selector key when it is absent", () => {
    expect(run("pims.authentication.otp", "get", {})).toEqual({ ok: false, code: 2101, parameter: "action" });
    expect(run("pims.authentication.account", "get", { type: "username" })).toEqual({
      ok: false,
      code: 2101,
      parameter: "actionType",
    });
    expect(run("pims.authentication.account", "get", { actionType: "strong" })).toEqual({
      ok: false,
      code: 2101,
      parameter: "type",
    });
    expect(run("pims.authentication.otp", "get", { action: "" })).toEqual({
      ok: false,
      code: 2101,
      parameter: "action",
    });
  });

  it("answers 2102 naming the key that carried an unknown selector value", () => {
    expect(run("pims.authentication.otp", "get", { action: "withPin" })).toEqual({
      ok: false,
      code: 2102,
      parameter: "action",
    });
    expect(run("pims.authentication.account", "get", { actionType: "basic", type: "isAccountBlocked" })).toEqual({
      ok: false,
      code: 2102,
      parameter: "type",
    });
    expect(run("pims.authentication.smscode", "set", { type: "enrollment" })).toEqual({
      ok: false,
      code: 2102,
      parameter: "type",
    });
    expect(run("pims.authentication.otp", "get", { action: 1 })).toEqual({
      ok: false,
      code: 2102,
      parameter: "action",
    });
  });
});
