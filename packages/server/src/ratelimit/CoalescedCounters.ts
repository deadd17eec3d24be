import type { Kysely } from "kysely";
import type { DatabaseSchema } from "../db/schema.js";
import type { Counters } from "./Counters.js";

interface Waiting {
  readonly resolve: (count: number) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * {@link Counters} whose hits on one key in one turn of the event loop are written together: one
 * statement (or Redis call) adding their number, instead of one each (issue 14, decision 0030).
 * The i-th of `n` hits gets the count before them plus i: the counts `n` hits one after another
 * would have returned, so every limit decides as before, and as exactly across processes (the
 * store adds `n` atomically; another process's hits land before or after the `n`, never lost).
 * If the write fails, every one of them fails with its error. For stores whose hits do not join a
 * database transaction (PostgreSQL's counter pool, Redis): a hit inside a transaction
 * ({@link Counters.joinsTransactions}) is written by the store itself, in that transaction.
 */
export class CoalescedCounters implements Counters {
  readonly #waiting = new Map<string, { key: string; windowMs: number; hits: Waiting[] }>();

  constructor(private readonly store: Counters) {}

  get joinsTransactions(): boolean {
    return this.store.joinsTransactions;
  }

  hit(key: string, windowMs: number, within?: Kysely<DatabaseSchema>, by = 1): Promise<number> {
    if ((within && this.store.joinsTransactions) || by !== 1) return this.store.hit(key, windowMs, within, by);
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) setImmediate(() => this.#flush());
      const id = `${windowMs}:${key}`;
      const batch = this.#waiting.get(id) ?? { key, windowMs, hits: [] };
      this.#waiting.set(id, batch);
      batch.hits.push({ resolve, reject });
    });
  }

  #flush(): void {
    const batches = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { key, windowMs, hits } of batches) {
      const n = hits.length;
      this.store.hit(key, windowMs, undefined, n).then(
        (count) => {
          for (const [i, { resolve }] of hits.entries()) resolve(count - n + i + 1);
        },
        (error: unknown) => {
          for (const { reject } of hits) reject(error);
        },
      );
    }
  }

  peek(key: string, windowMs: number): Promise<number> {
    return this.store.peek(key, windowMs);
  }

  refund(key: string): Promise<void> {
    return this.store.refund(key);
  }

  reset(key: string): Promise<void> {
    return this.store.reset(key);
  }

  purge(): Promise<void> {
    return this.store.purge();
  }
}
