import { hash, verify } from "@node-rs/argon2";
import { PimsError } from "../core/PimsError.js";

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const PARAMETERS = {
  algorithm: 2, // Algorithm.Argon2id (an ambient const enum, unusable under verbatimModuleSyntax)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Argon2id hashing bounded by a pool sized to the cores: at most `concurrency` hashes run at
 * once, at most `maxQueue` wait; beyond that the request fails at once (2204, HTTP 503) instead
 * of queueing for seconds.
 */
export class PasswordHasher {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #dummy: Promise<string> | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
  ) {}

  hash(password: string): Promise<string> {
    return this.#slot(() => hash(password, PARAMETERS));
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.#slot(() => verify(passwordHash, password).catch(() => false));
  }

  /** Spends the time of a verification, for a login that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    this.#dummy ??= hash("pims-timing-equalizer", PARAMETERS);
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
