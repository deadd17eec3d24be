import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { SmsSettings } from "../config/Config.js";
import { PimsError } from "../core/PimsError.js";
import { addressKey } from "../ratelimit/addressKey.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { Cooldowns } from "./Cooldowns.js";
import type { SmsPurpose } from "./templates.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SendRequest {
  readonly phone: string;
  readonly purpose: SmsPurpose;
  readonly accountId: string;
  readonly clientAddress: string;
}

/** What a send reserved; `release` gives it back when the SMS could not be delivered. */
export interface Reservation {
  release(): Promise<void>;
}

/** A circuit breaker tripped: the whole deployment (`global`) or one destination (`country`). */
export interface BreakerEvent {
  readonly scope: "global" | "country";
  /** ISO region, or `+<calling code>` for a non-geographic range. */
  readonly destination: string;
  readonly limit: number;
}

/**
 * Keeps Pims from being used to pump SMS. Before a send it reserves, each by one atomic statement
 * in the shared store:
 * - a place in the quotas of the account and of the client address (IPv6 by prefix), per hour and
 *   per day, and in those of the number: codes to an account's own trusted number (S4, S6) are
 *   counted apart from certification codes (S5), which anyone can ask for any number, so a
 *   stranger cannot spend the owner's share;
 * - a place in the circuit breakers: the deployment's hourly budget and the destination country's;
 * - the resend slot of the number and purpose (a cooldown that doubles with each send within an
 *   hour; too soon → 2005).
 * Over a quota or a breaker → 2383, nothing kept; a tripped breaker is reported to `onBreaker`.
 */
export class SmsPumpingGuard {
  constructor(
    private readonly counters: Counters,
    private readonly cooldowns: Cooldowns,
    private readonly settings: SmsSettings,
    private readonly options: {
      readonly ipv6PrefixLength: number;
      readonly defaultRegion: string;
      readonly onBreaker?: (event: BreakerEvent) => void;
      /**
       * Where the quotas of numbers and client addresses and the breakers count (decision 0028):
       * the deployment's, across tenants — a number's owner and the operator's SMS budget are the
       * same whichever brand asks. Default: {@link counters}.
       */
      readonly deploymentCounters?: Counters;
    } = { ipv6PrefixLength: 64, defaultRegion: "FR" },
  ) {}

  async reserve(request: SendRequest): Promise<Reservation> {
    const hit: { store: Counters; key: string }[] = [];
    const refund = () => Promise.all(hit.map(({ store, key }) => store.refund(key))).then(() => undefined);
    const deployment = this.options.deploymentCounters ?? this.counters;
    for (const { key, windowMs, limit, breaker, acrossTenants } of this.#quotas(request)) {
      const store = acrossTenants ? deployment : this.counters;
      const count = await store.hit(key, windowMs);
      hit.push({ store, key });
      if (count > limit) {
        await refund();
        if (breaker) this.options.onBreaker?.({ ...breaker, limit });
        throw new PimsError(2383);
      }
    }
    // No cooldown configured: nothing to take. (Taking a zero-length slot anyway made a request whose
    // clock was read a millisecond before another process's write fail with a spurious 2005.)
    const baseMs = this.settings.cooldownSeconds * 1000;
    const cooled = baseMs > 0;
    const maxMs = this.settings.maxCooldownSeconds * 1000;
    if (cooled && !(await this.cooldowns.take(request.phone, request.purpose, baseMs, maxMs))) {
      await refund();
      throw new PimsError(2005);
    }
    return {
      release: async () => {
        await refund();
        if (cooled) await this.cooldowns.release(request.phone, request.purpose);
      },
    };
  }

  #quotas({ phone, purpose, accountId, clientAddress }: SendRequest) {
    const q = this.settings.quotas;
    const address = addressKey(clientAddress, this.options.ipv6PrefixLength);
    // S5 reaches any number; S4/S6 only the account's own trusted number.
    const [number, hourly, daily] =
      purpose === "certification"
        ? (["phone", q.perPhoneHour, q.perPhoneDay] as const)
        : (["trusted", q.perTrustedPhoneHour, q.perTrustedPhoneDay] as const);
    const destination = destinationOf(phone);
    const countryLimit =
      this.settings.breaker.perCountryHour[destination] ??
      (destination === this.options.defaultRegion
        ? this.settings.breaker.globalHour
        : this.settings.breaker.countryHour);
    return [
      { key: `sms:${number}:h:${phone}`, windowMs: HOUR, limit: hourly, acrossTenants: true },
      { key: `sms:${number}:d:${phone}`, windowMs: DAY, limit: daily, acrossTenants: true },
      { key: `sms:account:h:${accountId}`, windowMs: HOUR, limit: q.perAccountHour, acrossTenants: false },
      { key: `sms:account:d:${accountId}`, windowMs: DAY, limit: q.perAccountDay, acrossTenants: false },
      { key: `sms:address:h:${address}`, windowMs: HOUR, limit: q.perAddressHour, acrossTenants: true },
      { key: `sms:address:d:${address}`, windowMs: DAY, limit: q.perAddressDay, acrossTenants: true },
      // The breakers come last: they count only sends every other quota allowed.
      {
        key: `sms:breaker:country:${destination}`,
        windowMs: HOUR,
        limit: countryLimit,
        breaker: { scope: "country" as const, destination },
        acrossTenants: true,
      },
      {
        key: "sms:breaker:global",
        windowMs: HOUR,
        limit: this.settings.breaker.globalHour,
        breaker: { scope: "global" as const, destination },
        acrossTenants: true,
      },
    ];
  }
}

/** The ISO region of an E.164 number, or `+<calling code>` for a non-geographic range (+881…). */
export function destinationOf(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return "unknown";
  return parsed.country ?? `+${parsed.countryCallingCode}`;
}
