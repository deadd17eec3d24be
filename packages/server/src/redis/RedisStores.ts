import { Redis } from "ioredis";
import type { Clock } from "../Clock.js";
import type { NonceStore } from "../device/NonceStore.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { Cooldowns } from "../sms/Cooldowns.js";

const HOUR = 3_600_000;
/** Redis forgets a key this long after its window could matter (garbage collection only). */
const SLACK = 600_000;

/** One fixed window per key, on the server's clock: `{s: start, c: count}`. */
const HIT = `
local start = tonumber(redis.call('HGET', KEYS[1], 's') or '-1')
local now = tonumber(ARGV[1])
local by = tonumber(ARGV[4])
if start < 0 or start <= now - tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 's', now, 'c', by)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return by
end
return redis.call('HINCRBY', KEYS[1], 'c', by)`;

const PEEK = `
local start = tonumber(redis.call('HGET', KEYS[1], 's') or '-1')
if start < 0 or start <= tonumber(ARGV[1]) - tonumber(ARGV[2]) then return 0 end
return tonumber(redis.call('HGET', KEYS[1], 'c') or '0')`;

const REFUND = `
local count = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
if count > 0 then return redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 0`;

/** The number's resend slot: `{n: next allowed, l: last send, k: streak}`. */
const TAKE_SLOT = `
local now = tonumber(ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'n') or '0') > now then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'l') or '0')
local streak = tonumber(redis.call('HGET', KEYS[1], 'k') or '0') + 1
if last <= now - tonumber(ARGV[4]) then streak = 1 end
local cooldown = math.min(tonumber(ARGV[2]) * 2 ^ (streak - 1), tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'n', now + math.floor(cooldown), 'l', now, 'k', streak)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return streak`;

const RELEASE_SLOT = `
redis.call('HSET', KEYS[1], 'n', ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'k') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'k', -1) end
return 1`;

/**
 * Rate-limit counters, SMS cooldowns and the signed-request nonce cache in Redis
 * (`PIMS_REDIS_URL`), each change one atomic command or Lua script, so every process enforces the
 * same limits. Windows follow the server's clock, as in the database (Redis expiry only collects
 * garbage). Commands fail fast when Redis is away (no offline queue): the request gets 2204, never
 * a limit silently skipped.
 */
export class RedisStores implements Counters, NonceStore, Cooldowns {
  readonly #redis: Redis;
  /** False for a tenant's view ({@link forTenant}): the connection is its parent's to close. */
  readonly #owner: boolean;

  constructor(
    url: string | { readonly parent: RedisStores },
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {
    if (typeof url !== "string") {
      this.#redis = url.parent.#redis;
      this.#where = url.parent.#where;
      this.#owner = false;
      return;
    }
    this.#owner = true;
    this.#redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      lazyConnect: false,
    });
    // Connection errors surface as failed commands (2204); the client must not crash the process.
    this.#redis.on("error", (error: Error) => {
      this.#lastError = error.message;
    });
    this.#where = safeLocation(url);
  }

  #lastError: string | undefined;
  readonly #where: string;

  /**
   * The stores of one tenant (decision 0028), on the same connection: its keys are prefixed with
   * `t:<tenant>:` after the deployment's prefix. The default tenant and the deployment-wide stores
   * keep the keys they had before tenants (their key names never meet: numbers, addresses, breakers
   * and nonces are the deployment's, accounts' and logins' the tenant's), so a single-brand
   * deployment's counters and nonces survive the upgrade.
   */
  forTenant(tenant: string, keepsKeys: boolean): RedisStores {
    return keepsKeys ? this : new RedisStores({ parent: this }, `${this.prefix}t:${tenant}:`, this.clock);
  }

  /**
   * Resolves once connected (start-up waits for it, so the first request does not fail). The
   * client retries by itself forever: after `withinMs` without a connection this rejects, naming
   * the address and the last error, so `pims serve` fails instead of hanging.
   */
  async ready(withinMs = 10_000): Promise<void> {
    if (this.#redis.status === "ready") return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (why: string) =>
          reject(
            new Error(
              `Redis at ${this.#where} (PIMS_REDIS_URL) ${why}${this.#lastError ? `: ${this.#lastError}` : ""}`,
            ),
          );
        this.#redis.once("ready", resolve);
        this.#redis.once("end", () => fail("closed the connection"));
        timer = setTimeout(() => fail(`is unreachable: no connection within ${withinMs / 1000} s`), withinMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Round trip to Redis (the health check); rejects when it is unreachable. */
  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  /** Redis keeps its own counts and nonces, outside any database transaction. */
  readonly joinsTransactions = false;

  async hit(key: string, windowMs: number, _within?: unknown, by = 1): Promise<number> {
    return Number(await this.#redis.eval(HIT, 1, this.#key(key), this.clock.now(), windowMs, windowMs + SLACK, by));
  }

  async peek(key: string, windowMs: number): Promise<number> {
    return Number(await this.#redis.eval(PEEK, 1, this.#key(key), this.clock.now(), windowMs));
  }

  async refund(key: string): Promise<void> {
    await this.#redis.eval(REFUND, 1, this.#key(key));
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#key(key));
  }

  async remember(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.#key(`nonce:${key}`), "1", "PX", ttlMs, "NX")) === "OK";
  }

  async purge(): Promise<void> {
    // Redis expires nonces, counters and cooldowns by itself.
  }

  async take(phone: string, purpose: string, baseMs: number, maxMs: number): Promise<boolean> {
    const key = this.#key(`cooldown:${phone}:${purpose}`);
    const gc = HOUR + maxMs + SLACK;
    return Number(await this.#redis.eval(TAKE_SLOT, 1, key, this.clock.now(), baseMs, maxMs, HOUR, gc)) > 0;
  }

  async release(phone: string, purpose: string): Promise<void> {
    await this.#redis.eval(RELEASE_SLOT, 1, this.#key(`cooldown:${phone}:${purpose}`), this.clock.now());
  }

  async close(): Promise<void> {
    if (this.#owner) this.#redis.disconnect();
  }

  #key(key: string): string {
    return `${this.prefix}${key}`;
  }
}

/** `host:port` of a Redis URL, never its password. */
function safeLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "PIMS_REDIS_URL";
  }
}
