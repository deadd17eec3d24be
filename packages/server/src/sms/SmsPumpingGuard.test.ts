import { describe, expect, it } from "vitest";
import type { SmsSettings } from "../config/Config.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { Cooldowns } from "./Cooldowns.js";
import { SmsPumpingGuard } from "./SmsPumpingGuard.js";

const counters: Counters = {
  joinsTransactions: false,
  hit: async () => 1,
  peek: async () => 0,
  refund: async () => {},
  reset: async () => {},
  purge: async () => {},
};
const settings = (cooldownSeconds: number) =>
  ({
    cooldownSeconds,
    maxCooldownSeconds: 900,
    quotas: {
      perPhoneHour: 5,
      perPhoneDay: 5,
      perAccountHour: 5,
      perAccountDay: 5,
      perAddressHour: 5,
      perAddressDay: 5,
      perTrustedPhoneHour: 5,
      perTrustedPhoneDay: 5,
    },
    breaker: { globalHour: 5, countryHour: 5, perCountryHour: {} },
  }) as SmsSettings;
const request = {
  phone: "+33612345678",
  purpose: "certification" as const,
  accountId: "acc",
  clientAddress: "127.0.0.1",
};

/** Cooldowns whose slot is always taken: what a process sees when another took it a millisecond "later". */
const busy = (): Cooldowns & { taken: number } => ({
  taken: 0,
  async take() {
    this.taken++;
    return false;
  },
  async release() {},
  async purge() {},
});

describe("SmsPumpingGuard", () => {
  it("answers 2005 while the number's cooldown runs", async () => {
    const cooldowns = busy();
    await expect(new SmsPumpingGuard(counters, cooldowns, settings(30)).reserve(request)).rejects.toMatchObject({
      code: 2005,
    });
    expect(cooldowns.taken).toBe(1);
  });

  it("with no cooldown configured, never consults the slot: no spurious 2005 from clocks read out of order", async () => {
    const cooldowns = busy();
    await expect(new SmsPumpingGuard(counters, cooldowns, settings(0)).reserve(request)).resolves.toBeDefined();
    expect(cooldowns.taken).toBe(0);
  });
});
