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
  /**
   * The origins (`https://api.example.com`, scheme + host + port, no path) to which `pims.fetch`
   * adds the session's bearer token and the OTP. Any other origin gets the request as the app wrote
   * it, with neither. Default: the Pims server's origin only. The list replaces the default.
   */
  readonly protectedOrigins?: readonly string[];
  /**
   * A WebCrypto implementation (`getRandomValues` and `subtle`, ECDSA P-256 and SHA-256), for
   * runtimes that have none, e.g. React Native with `react-native-quick-crypto`. Default: the
   * platform's `globalThis.crypto`; `initialize` answers 2006 when there is neither.
   */
  readonly crypto?: PimsCrypto;
  /**
   * The vendor's `credential`. Pims reads `clientId` only: the app's **public** id, which selects
   * the brand (tenant) the app belongs to on a server that serves several. With one, `initialize`
   * asks the server (`GET /v1/client`) before answering: 2006 when the server does not know it or
   * has disabled it, 2201/2202 when it cannot be reached (the SDK stays uninitialized: call
   * `initialize` again); then every request to the Pims server carries it (`Pims-Client-Id`),
   * `pims.fetch` to the app's own APIs does not. Without one: the deployment's default tenant.
   */
  readonly credential?: PimsCredential;
  /** The vendor's `profile`: `brand` is checked against the client id's tenant (see {@link PimsProfile}). */
  readonly profile?: PimsProfile;
}

/**
 * The vendor's `credential` object. Its other fields (`macID`, `inWeboURL`, …) are accepted and
 * ignored.
 */
export interface PimsCredential {
  /** The app's public client id: 1 to 128 characters of `A-Z a-z 0-9 . _ -` (else 2006). */
  readonly clientId?: string;
  /**
   * Accepted for the vendor's contract and **ignored**: never sent, never stored, never logged.
   * A secret shipped inside a mobile or web app is readable by anyone who has the app, so the
   * server never relies on one; the client id is public.
   */
  readonly clientSecret?: string;
  readonly [vendorField: string]: unknown;
}

/** The vendor's `profile` object. */
export interface PimsProfile {
  /**
   * The brand the app was built for (e.g. `"opel"`). With a `credential.clientId`, `initialize`
   * answers 2006 unless it names the client id's tenant, by id or name, in any case, with or
   * without accents (`"citroen"` matches "Citroën"): a build of one brand configured with another
   * brand's client id. Without a client id it is not checked. A non-empty string (else 2006).
   */
  readonly brand?: string;
}

/**
 * A WebCrypto implementation: `getRandomValues`, and `subtle` with `generateKey`, `importKey`,
 * `exportKey`, `sign` and `digest` for ECDSA P-256 and SHA-256. Typed loosely, so that providers
 * whose own types differ from the DOM's (Node's `webcrypto`, `react-native-quick-crypto`) fit;
 * `initialize` checks the methods are there.
 */
export interface PimsCrypto {
  getRandomValues(array: Uint8Array): unknown;
  readonly subtle: object;
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
   * `fetch` for the app's own protected APIs: to an origin of `protectedOrigins` (default: the Pims
   * server's), adds the session's bearer token and, once, the last OTP obtained by S15/S16 (header
   * `Pims-OTP`), and does not follow redirects (unless `init.redirect` says so). To any other origin
   * it is plain `fetch`: neither is sent, and the OTP is kept for the next protected call.
   * Resolves and rejects as `fetch` does; rejects before `initialize`. See
   * {@link needsStrongAuthentication} for the 2302 answer.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}
