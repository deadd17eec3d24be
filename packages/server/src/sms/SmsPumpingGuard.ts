import type { SmsSettings } from "../config/Config.js";
import { PimsError } from "../http/PimsError.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { Cooldowns } from "./Cooldowns.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SendRequest {
  readonly phone: string;
  readonly accountId: string;
  readonly clientAddress: string;
}

/** What a send reserved; `release` gives it back when the SMS could not be delivered. */
export interface Reservation {
  release(): Promise<void>;
}

/**
 * Keeps Pims from being used to pump SMS. Before a send it reserves, each by one atomic statement
 * in the shared store: a place in six quotas (per number, account and client address, per hour and
 * per day; over → 2383, nothing kept) and the number's resend slot (a cooldown that doubles with
 * each send within an hour; too soon → 2005).
 */
export class SmsPumpingGuard {
  constructor(
    private readonly counters: Counters,
    private readonly cooldowns: Cooldowns,
    private readonly settings: SmsSettings,
  ) {}

  async reserve(request: SendRequest): Promise<Reservation> {
    const quotas = this.#quotas(request);
    const hit: string[] = [];
    const refund = () => Promise.all(hit.map((key) => this.counters.refund(key))).then(() => undefined);
    for (const { key, windowMs, limit } of quotas) {
      const count = await this.counters.hit(key, windowMs);
      hit.push(key);
      if (count > limit) {
        await refund();
        throw new PimsError(2383);
      }
    }
    // No cooldown configured: nothing to take. (Taking a zero-length slot anyway made a request whose
    // clock was read a millisecond before another process's write fail with a spurious 2005.)
    const baseMs = this.settings.cooldownSeconds * 1000;
    const cooled = baseMs > 0;
    if (cooled && !(await this.cooldowns.take(request.phone, baseMs, this.settings.maxCooldownSeconds * 1000))) {
      await refund();
      throw new PimsError(2005);
    }
    return {
      release: async () => {
        await refund();
        if (cooled) await this.cooldowns.release(request.phone);
      },
    };
  }

  #quotas({ phone, accountId, clientAddress }: SendRequest) {
    const q = this.settings.quotas;
    return [
      { key: `sms:phone:h:${phone}`, windowMs: HOUR, limit: q.perPhoneHour },
      { key: `sms:phone:d:${phone}`, windowMs: DAY, limit: q.perPhoneDay },
      { key: `sms:account:h:${accountId}`, windowMs: HOUR, limit: q.perAccountHour },
      { key: `sms:account:d:${accountId}`, windowMs: DAY, limit: q.perAccountDay },
      { key: `sms:address:h:${clientAddress}`, windowMs: HOUR, limit: q.perAddressHour },
      { key: `sms:address:d:${clientAddress}`, windowMs: DAY, limit: q.perAddressDay },
    ];
  }
}
