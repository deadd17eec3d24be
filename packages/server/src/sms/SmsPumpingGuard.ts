import { type Kysely, sql } from "kysely";
import type { Clock } from "../Clock.js";
import type { SmsSettings } from "../config/Config.js";
import type { DatabaseSchema } from "../db/schema.js";
import { PimsError } from "../http/PimsError.js";
import type { Counters } from "../ratelimit/Counters.js";

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
    private readonly db: Kysely<DatabaseSchema>,
    private readonly counters: Counters,
    private readonly clock: Clock,
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
    if (!(await this.#takeSlot(request.phone))) {
      await refund();
      throw new PimsError(2005);
    }
    return {
      release: async () => {
        await refund();
        await this.db
          .updateTable("sms_cooldowns")
          .set({ next_allowed_at: this.clock.now(), streak: sql<number>`streak - 1` })
          .where("phone_e164", "=", request.phone)
          .execute();
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

  /** Takes the number's send slot if its cooldown is over; sets the next cooldown. */
  async #takeSlot(phone: string): Promise<boolean> {
    const now = this.clock.now();
    const base = this.settings.cooldownSeconds * 1000;
    const row = await this.db
      .insertInto("sms_cooldowns")
      .values({ phone_e164: phone, last_sent_at: now, next_allowed_at: now + base, streak: 1 })
      .onConflict((conflict) =>
        conflict
          .column("phone_e164")
          .doUpdateSet({
            streak: sql<number>`CASE WHEN sms_cooldowns.last_sent_at <= ${now - HOUR} THEN 1 ELSE sms_cooldowns.streak + 1 END`,
            last_sent_at: now,
            next_allowed_at: now + base,
          })
          .where("sms_cooldowns.next_allowed_at", "<=", now),
      )
      .returning("streak")
      .executeTakeFirst();
    if (!row) return false;
    const streak = Number(row.streak);
    if (streak > 1) {
      const cooldown = Math.min(base * 2 ** (streak - 1), this.settings.maxCooldownSeconds * 1000);
      await this.db
        .updateTable("sms_cooldowns")
        .set({ next_allowed_at: now + cooldown })
        .where("phone_e164", "=", phone)
        .execute();
    }
    return true;
  }
}
