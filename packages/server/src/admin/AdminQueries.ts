import type { Services } from "../Services.js";

/** What an administrator sees of an account: no secret, the phone number partly masked. */
export interface AccountSummary {
  readonly id: string;
  readonly login: string;
  readonly createdAt: number;
  readonly phone: string | null;
  readonly hasPin: boolean;
  readonly pinFailures: number;
  readonly blocked: boolean;
  readonly activeDevices: number;
}

/**
 * Read side of the admin API. It owns no table: each part of a summary comes from the capability
 * that owns it (the login from accounts, the number from phones, the PIN and its blocking rule
 * from pin, the active devices from devices).
 */
export class AdminQueries {
  constructor(
    private readonly services: Pick<
      Services,
      "accounts" | "trustedPhones" | "pinVerifiers" | "pinGuard" | "devices" | "audit" | "config"
    >,
  ) {}

  /**
   * Accounts whose id is `query`, whose login contains it, or whose trusted number matches it: a
   * number as S3 returns it (`0612345678`) or in E.164, the masked form this API returns
   * (`+336•••••678`), or the last digits (3 or more, what the masked form shows). Newest first.
   */
  async findAccounts(query: string, limit = 50): Promise<AccountSummary[]> {
    const { accounts, trustedPhones, config } = this.services;
    const [byAccount, byPhone] = await Promise.all([
      accounts.search(query, limit),
      trustedPhones.search(query, config.phone.defaultRegion, limit),
    ]);
    const summaries = await this.#summaries([...new Set([...byAccount, ...byPhone])]);
    return summaries.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).slice(0, limit);
  }

  async account(id: string): Promise<AccountSummary | undefined> {
    return (await this.#summaries([id]))[0];
  }

  devices(accountId: string) {
    return this.services.devices.ofAccount(accountId);
  }

  audit(accountId: string, limit = 200) {
    return this.services.audit.ofAccount(accountId, limit);
  }

  async #summaries(ids: readonly string[]): Promise<AccountSummary[]> {
    const { accounts, trustedPhones, pinVerifiers, pinGuard, devices } = this.services;
    const [found, phones, withPin, failures, active] = await Promise.all([
      accounts.withIds(ids),
      trustedPhones.ofAccounts(ids),
      pinVerifiers.withPin(ids),
      pinGuard.failuresOf(ids),
      devices.activeCounts(ids),
    ]);
    return found.map((account) => {
      const phone = phones.get(account.id);
      const pinFailures = failures.get(account.id) ?? 0;
      return {
        id: account.id,
        login: account.login,
        createdAt: account.createdAt,
        phone: phone === undefined ? null : maskPhone(phone),
        hasPin: withPin.has(account.id),
        pinFailures,
        blocked: pinGuard.blocks(pinFailures),
        activeDevices: active.get(account.id) ?? 0,
      };
    });
  }
}

/** `+33612345678` → `+336•••••678`: enough to recognize, not enough to dial. */
export function maskPhone(e164: string): string {
  return e164.length <= 7 ? e164 : `${e164.slice(0, 4)}${"•".repeat(e164.length - 7)}${e164.slice(-3)}`;
}
