import { describe, expect, it } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { loadConfig } from "./loadConfig.js";

describe("loadConfig: the settings of issue 12", () => {
  it("secure defaults: blocklist on, high-cost ranges denied, IPv6 by /64, breakers", () => {
    const config = loadConfig({});
    expect(config.pin.blockCommon).toBe(true);
    expect(config.phone.deniedPrefixes).toEqual(["+870", "+881", "+882", "+883", "+979"]);
    expect(config.ipv6PrefixLength).toBe(64);
    expect(config.sms.breaker).toEqual({ globalHour: 1000, countryHour: 50, perCountryHour: {} });
    expect(config.sms.quotas.perTrustedPhoneHour).toBe(5);
  });

  it("reads budgets per destination and lets a deployment allow every range", () => {
    const config = loadConfig({ PIMS_SMS_COUNTRY_BUDGETS: "be=300, +881=5", PIMS_SMS_DENIED_PREFIXES: "none" });
    expect(config.sms.breaker.perCountryHour).toEqual({ BE: 300, "+881": 5 });
    expect(config.phone.deniedPrefixes).toEqual([]);
  });

  it("names the setting when a value does not fit", () => {
    expect(() => loadConfig({ PIMS_SMS_COUNTRY_BUDGETS: "France=3" })).toThrow(/PIMS_SMS_COUNTRY_BUDGETS/);
    expect(() => loadConfig({ PIMS_SMS_DENIED_PREFIXES: "881" })).toThrow(/PIMS_SMS_DENIED_PREFIXES/);
    expect(() => loadConfig({ PIMS_OTP_MAX_FAILED_VERIFICATIONS: "11" })).toThrow(ConfigError);
  });
});
