import type { SmsMessage } from "./SmsProvider.js";

export interface InboxMessage extends SmsMessage {
  readonly at: number;
}

/**
 * The development inbox: the latest messages sent, in memory, for the demo page and tests. It
 * exists only in development mode; production never builds one.
 */
export class SmsInbox {
  readonly #messages: InboxMessage[] = [];

  constructor(private readonly size: number) {}

  record(message: InboxMessage): void {
    this.#messages.unshift(message);
    this.#messages.length = Math.min(this.#messages.length, this.size);
  }

  /** Newest first; only those to `to` when given. */
  list(to?: string): readonly InboxMessage[] {
    return to === undefined ? [...this.#messages] : this.#messages.filter((m) => m.to === to);
  }
}
