import { hash, verify } from "@node-rs/argon2";
import { PimsError } from "../core/PimsError.js";

/** Memory (KiB) and passes of argon2id. */
export interface Argon2Cost {
  readonly memoryCost: number;
  readonly timeCost: number;
}

/** OWASP's argon2id baseline: 19 MiB, 2 passes (1 lane). */
export const OWASP_ARGON2_COST: Argon2Cost = { memoryCost: 19_456, timeCost: 2 };

/**
 * Argon2id hashing bounded by a pool sized to the cores: at most `concurrency` hashes run at
 * once, at most `maxQueue` wait; beyond that the request fails at once (2204, HTTP 503) instead
 * of queueing for seconds.
 */
export class PasswordHasher {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #dummy: Promise<string> | undefined;
  readonly #parameters;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
    /** New hashes' cost; verification reads the cost from the hash. Not configurable from the environment. */
    cost: Argon2Cost = OWASP_ARGON2_COST,
  ) {
    // algorithm 2: Algorithm.Argon2id (an ambient const enum, unusable under verbatimModuleSyntax).
    this.#parameters = { algorithm: 2, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 } as const;
  }

  hash(password: string): Promise<string> {
    return this.#slot(() => hash(password, this.#parameters));
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.#slot(() => verify(passwordHash, password).catch(() => false));
  }

  /** Spends the time of a verification, for a login that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    this.#dummy ??= hash("pims-timing-equalizer", this.#parameters);
    await this.verify(await this.#dummy, password);
    return false;
  }

  async #slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxQueue) throw new PimsError(2204, { httpStatus: 503 });
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
