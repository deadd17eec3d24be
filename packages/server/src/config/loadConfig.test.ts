import { describe, expect, it } from "vitest";
import { ConfigError } from "./ConfigError.js";
import { knownVariables, loadConfig } from "./loadConfig.js";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("loadConfig", () => {
  it("reports every problem at once, each naming its setting, in one ConfigError", () => {
    const problems = problemsOf({
      PIMS_MODE: "production",
      PIMS_PORT: "eighty",
      PIMS_LOG_LEVEL: "loud",
      PIMS_DATABASE_URL: "mysql://db",
      PIMS_PIN_MIN_LENGTH: "9",
      PIMS_PIN_MAX_LENGTH: "6",
      PIMS_ADMIN_KEY: "short",
      PIMS_PHONE_COUNTRIES: "FR,France",
    });
    expect(problems).toEqual([
      'PIMS_DATABASE_URL must start with sqlite: or postgres://, got "mysql:…"',
      "PIMS_SECRET_KEY is required in production mode (generate one with `pims secret generate`)",
      "PIMS_METRICS_TOKEN is required in production mode (`pims secret generate` prints one)",
      'PIMS_PORT must be a whole number, got "eighty"',
      'PIMS_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'PIMS_PHONE_COUNTRIES takes ISO 3166 country codes such as FR, got "France"',
      "PIMS_SMS_PROVIDER is required in production mode (webhook or twilio)",
      "PIMS_PIN_MIN_LENGTH must not exceed PIMS_PIN_MAX_LENGTH",
      "PIMS_ADMIN_KEY must be at least 32 characters (`pims secret generate` prints one)",
    ]);
  });

  it("keeps a single problem's message as it was", () => {
    expect(() => loadConfig({ PIMS_PORT: "70000" })).toThrow(
      new ConfigError("PIMS_PORT must be between 0 and 65535, got 70000"),
    );
  });

  it("warns about a PIMS_* variable that is not a setting, suggesting the nearest one, and ignores it", () => {
    const warnings: string[] = [];
    const config = loadConfig(
      { PIMS_SMS_COOLDOWM: "5", PIMS_SMS_COOLDOWN: "7", PIMS_FLAVOUR: "vanilla", PIMS_URL: "http://x", HOME: "/" },
      {},
      { warn: (message) => warnings.push(message) },
    );
    expect(config.sms.cooldownSeconds).toBe(7);
    expect(warnings).toEqual([
      "PIMS_FLAVOUR is not a Pims setting: ignored (settings: docs/configuration.md)",
      "PIMS_SMS_COOLDOWM is not a Pims setting: ignored (did you mean PIMS_SMS_COOLDOWN?)",
    ]);
  });

  it("does not call a setting unknown when a flag overrides it or its branch is off", () => {
    const warnings: string[] = [];
    loadConfig(
      { PIMS_PORT: "9000", PIMS_OIDC_JWKS_URL: "https://idp.example/jwks", PIMS_TWILIO_BASE_URL: "http://t" },
      { port: 0 },
      { warn: (message) => warnings.push(message) },
    );
    expect(warnings).toEqual([]);
  });

  it("knows every variable it reads, optional branches included", () => {
    const known = knownVariables();
    for (const name of [
      "PIMS_PORT",
      "PIMS_MODE",
      "PIMS_OIDC_JWKS_URL",
      "PIMS_TWILIO_BASE_URL",
      "PIMS_SMS_WEBHOOK_SECRET",
    ]) {
      expect(known).toContain(name);
    }
    expect(known).not.toContain("PIMS_URL");
    expect([...known].every((name) => name.startsWith("PIMS_"))).toBe(true);
  });
});

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
