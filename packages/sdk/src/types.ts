import type { PimsMessage } from "@pims/protocol";
import type { PimsStore } from "./stores/PimsStore.js";

/** Receives the one message of a call. */
export type PimsCallback<R = unknown> = (message: PimsMessage<R>) => void;

/** What `initialize` takes. */
export interface PimsConfig {
  /** Base URL of the Pims server, http or https, e.g. `https://pims.example.com/`. */
  readonly serverUrl: string;
  /** Where the session and the device enrollment are kept. Default: {@link memoryStore}. */
  readonly store?: PimsStore;
  /** How long a call may wait for the server, in milliseconds (2201 after). Default 15000. */
  readonly timeoutMs?: number;
  /** The `fetch` to use; default the platform's. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * The facade. Every method delivers exactly one message, to the callback when one is given and
 * as the resolved value of the returned promise; none of them throws or rejects.
 */
export interface Pims {
  initialize(config: PimsConfig, callback?: PimsCallback<null>): Promise<PimsMessage<null>>;
  get(api: string, params?: Readonly<Record<string, unknown>>, callback?: PimsCallback): Promise<PimsMessage>;
  set(api: string, params?: Readonly<Record<string, unknown>>, callback?: PimsCallback): Promise<PimsMessage>;
  /** Forgets the session and the in-memory state; the device enrollment stays in the store. */
  release(callback?: PimsCallback<null>): Promise<PimsMessage<null>>;
  /**
   * `fetch` for the app's own protected APIs: adds the session's bearer token and, once, the last
   * OTP obtained by S15/S16 (header `Pims-OTP`). Resolves and rejects as `fetch` does; rejects
   * before `initialize`. See {@link needsStrongAuthentication} for the 2302 answer.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}
