/**
 * Fixed-window counters shared by every server process. Each change is one atomic statement in
 * the shared store (design: "Storage and scale"), so N processes enforce one limit.
 */
export interface Counters {
  /** Adds one to `key` in the current window and returns the new count. */
  hit(key: string, windowMs: number): Promise<number>;
  /** The count of `key` in the current window. */
  peek(key: string, windowMs: number): Promise<number>;
  /** Takes one back (an attempt that turned out legitimate). */
  refund(key: string): Promise<void>;
  /** Forgets `key`. */
  reset(key: string): Promise<void>;
  /** Deletes counts whose window is over (Redis expires them by itself). */
  purge(): Promise<void>;
}
