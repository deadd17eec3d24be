import {
  checkResult,
  errorBody,
  isDeviceActivated,
  isPlainObject,
  OTP_HEADER,
  type PimsErrorBody,
  type PimsMessage,
  resolveOperation,
  type Verb,
  validateParams,
} from "@pims/protocol";
import { CLIENT_ID_PATTERN, checkClient } from "./clientCheck.js";
import type { Context } from "./operations/Context.js";
import { repairEnrollment } from "./operations/deviceCall.js";
import { handlerFor } from "./operations/handlers.js";
import type { SdkCrypto } from "./sdkCrypto.js";
import { SessionKeeper } from "./session/SessionKeeper.js";
import { memoryStore } from "./stores/memoryStore.js";
import { isPimsStore, type PimsStore } from "./stores/PimsStore.js";
import { newTransactionId } from "./transactionId.js";
import type { TransportConfig } from "./transport/callServer.js";
import type { Pims, PimsCallback, PimsConfig } from "./types.js";

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_TIMEOUT_MS = 600_000;

interface Ready {
  readonly transport: TransportConfig;
  readonly store: PimsStore;
  readonly crypto: SdkCrypto;
  /** Origins that `fetch` sends the bearer token and the OTP to (`URL.origin` form). */
  readonly protectedOrigins: ReadonlySet<string>;
  readonly session: SessionKeeper;
  readonly timing: { offsetMs: number };
}

/**
 * Creates a `pims` facade. Call `initialize` first; every call then answers one message.
 *
 * @example
 * const pims = createPims();
 * await pims.initialize({ serverUrl: "http://localhost:8080" });
 * await pims.set("pims.authentication.user", { action: "login", login: "alice", password: "…" });
 * const { result } = await pims.get("pims.authentication.otp", { action: "withPIN", pinCode: "1234" });
 */
export function createPims(): Pims {
  let ready: Ready | undefined;
  let initializing = false;
  /** The last OTP from S15/S16, for the next `fetch`; never stored. */
  let lastOtp: string | undefined;

  async function initialize(config: PimsConfig, transactionId: string): Promise<Outcome> {
    if (ready || initializing) return fail(2007);
    const read = readConfig(config);
    if (!read) return fail(2006);
    const { brand, ...settings } = read;
    initializing = true;
    try {
      // With a client id, the server must know it (and it must be the brand's) before anything else.
      const refused = settings.transport.clientId && (await checkClient(settings.transport, brand, transactionId));
      if (refused) return refused;
      const session = new SessionKeeper(settings.store, settings.transport);
      await session.load();
      const state: Ready = { ...settings, session, timing: { offsetMs: 0 } };
      await repairEnrollment({ ...state, transactionId: newTransactionId(state.crypto) }, isDeviceActivated);
      ready = state;
      return { ok: true, result: null };
    } catch {
      return fail(2006);
    } finally {
      initializing = false;
    }
  }

  async function call(verb: Verb, api: unknown, params: unknown, transactionId: string): Promise<Outcome> {
    if (!ready) return fail(2001);
    const given = params ?? {};
    if (!isPlainObject(given)) return knownApi(api, verb) ? fail(2102, "parameters") : fail(2002);
    const resolution = resolveOperation(api, verb, given);
    if (!resolution.ok)
      return fail(
        resolution.failure.code,
        "parameter" in resolution.failure ? resolution.failure.parameter : undefined,
      );
    const operation = resolution.operation;
    const validation = validateParams(operation, given);
    if (!validation.ok) return fail(validation.failure.code, validation.failure.parameter);
    if (operation.access === "session" && !ready.session.current) return fail(2301);
    const context: Context = { ...ready, transactionId };
    const outcome = await handlerFor(operation)(context, operation, validation.value);
    if (outcome.ok && !checkResult(operation, outcome.result)) return fail(2203);
    if (outcome.ok && operation.yieldsOtp) lastOtp = (outcome.result as { otp: string }).otp;
    return outcome;
  }

  async function release(): Promise<Outcome> {
    if (!ready) return fail(2001);
    const { session } = ready;
    ready = undefined;
    lastOtp = undefined;
    await session.forget();
    return { ok: true, result: null };
  }

  return {
    initialize: (config, callback) =>
      answer((id) => initialize(config, id), callback as PimsCallback | undefined) as Promise<PimsMessage<null>>,
    get: (api, params, callback) => answer((id) => call("get", api, params, id), callback, ready?.crypto),
    set: (api, params, callback) => answer((id) => call("set", api, params, id), callback, ready?.crypto),
    release: (callback) => answer(() => release(), callback as PimsCallback | undefined) as Promise<PimsMessage<null>>,
    async fetch(input, init) {
      const state = ready;
      if (!state) throw new Error("pims.fetch: call initialize first");
      // Another origin than the declared ones gets the request exactly as the app wrote it.
      if (!isProtected(input, state.protectedOrigins)) return state.transport.fetch(input, init);
      const headers = new Headers(init?.headers ?? (isRequest(input) ? input.headers : undefined));
      const token = state.session.current ? await state.session.accessToken(newTransactionId(state.crypto)) : undefined;
      if (token?.ok && !headers.has("authorization")) headers.set("authorization", `Bearer ${token.token}`);
      if (lastOtp !== undefined) {
        headers.set(OTP_HEADER, lastOtp);
        lastOtp = undefined;
      }
      // A redirect would carry Pims-OTP to wherever it points: not followed unless the app says so.
      return state.transport.fetch(input, { ...init, headers, redirect: init?.redirect ?? "error" });
    },
  };
}

type Outcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: PimsErrorBody };

function fail(code: number, parameter?: string): Outcome {
  return { ok: false, error: errorBody(code, parameter === undefined ? {} : { parameter }) };
}

function knownApi(api: unknown, verb: Verb): boolean {
  const r = resolveOperation(api, verb, {});
  return r.ok || r.failure.code !== 2002;
}

/**
 * Runs `work` and turns whatever happens into exactly one message, given to the callback (whose
 * own exceptions are swallowed) and to the promise, which never rejects.
 */
async function answer(
  work: (transactionId: string) => Promise<Outcome>,
  callback?: PimsCallback,
  crypto?: SdkCrypto,
): Promise<PimsMessage> {
  const transactionId = newTransactionId(crypto);
  let outcome: Outcome;
  try {
    outcome = await work(transactionId);
  } catch {
    outcome = fail(2000);
  }
  const message: PimsMessage = outcome.ok
    ? { transactionId, status: "SUCCEEDED", result: outcome.result }
    : { transactionId, status: "FAILED", error: outcome.error };
  if (typeof callback === "function") {
    try {
      callback(message);
    } catch {
      // The app's callback failing is the app's business; the facade still answers.
    }
  }
  return message;
}

function readConfig(config: unknown):
  | {
      transport: TransportConfig;
      store: PimsStore;
      crypto: SdkCrypto;
      protectedOrigins: ReadonlySet<string>;
      brand: string | undefined;
    }
  | undefined {
  if (!isPlainObject(config)) return undefined;
  const { serverUrl, store, timeoutMs, fetch, protectedOrigins, crypto, credential, profile } = config;
  // `credential.clientSecret` (and the vendor's other fields) are never read: an app keeps no secret.
  if (![credential, profile].every((given) => given === undefined || isPlainObject(given))) return undefined;
  const clientId = (credential as { clientId?: unknown } | undefined)?.clientId;
  const brand = (profile as { brand?: unknown } | undefined)?.brand;
  if (clientId !== undefined && !(typeof clientId === "string" && CLIENT_ID_PATTERN.test(clientId))) return undefined;
  if (brand !== undefined && !(typeof brand === "string" && brand)) return undefined;
  const baseUrl = parseServerUrl(serverUrl);
  if (!baseUrl) return undefined;
  const origins = protectedOrigins === undefined ? new Set([baseUrl.origin]) : parseOrigins(protectedOrigins);
  if (!origins) return undefined;
  const cryptoImpl: unknown = crypto ?? globalThis.crypto;
  if (!isWebCrypto(cryptoImpl)) return undefined;
  if (store !== undefined && !isPimsStore(store)) return undefined;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS)
  ) {
    return undefined;
  }
  const given = (fetch ?? globalThis.fetch) as typeof globalThis.fetch;
  if (typeof given !== "function") return undefined;
  // Browsers refuse `fetch` called as a method of another object ("Illegal invocation"): call it plainly.
  const fetchImpl: typeof globalThis.fetch = (input, init) => given(input, init);
  return {
    transport: {
      baseUrl,
      timeoutMs: (timeoutMs as number | undefined) ?? DEFAULT_TIMEOUT_MS,
      fetch: fetchImpl,
      clientId,
    },
    store: (store as PimsStore | undefined) ?? memoryStore(),
    crypto: cryptoImpl,
    protectedOrigins: origins,
    brand,
  };
}

/** `text` as an http: or https: URL, or `undefined`. */
function httpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}

/** Each entry must be an origin (`https://host[:port]`, nothing after it but a slash). */
function parseOrigins(value: unknown): Set<string> | undefined {
  if (!Array.isArray(value)) return undefined;
  const origins = new Set<string>();
  for (const entry of value) {
    if (typeof entry !== "string") return undefined;
    const url = httpUrl(entry);
    if (!url) return undefined;
    // An origin and nothing else: no path, query, fragment, credentials; no wildcard (none is supported).
    const extra = url.pathname !== "/" || /[?#]/.test(entry) || url.username || url.password;
    if (extra || url.hostname.includes("*")) return undefined;
    origins.add(url.origin);
  }
  return origins;
}

/** True when the request goes to one of `origins` (a relative URL resolves against the page, if any). */
function isProtected(input: string | URL | Request, origins: ReadonlySet<string>): boolean {
  const href = typeof input === "string" ? input : isRequest(input) ? input.url : String(input);
  const base = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    return origins.has(new URL(href, typeof base === "string" ? base : undefined).origin);
  } catch {
    return false;
  }
}

function isRequest(input: unknown): input is Request {
  return typeof Request !== "undefined" && input instanceof Request;
}

function isWebCrypto(value: unknown): value is SdkCrypto {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { getRandomValues?: unknown; subtle?: Record<string, unknown> };
  const subtle = candidate.subtle;
  return (
    typeof candidate.getRandomValues === "function" &&
    typeof subtle === "object" &&
    subtle !== null &&
    ["generateKey", "importKey", "exportKey", "sign", "digest"].every((name) => typeof subtle[name] === "function")
  );
}

function parseServerUrl(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  const url = httpUrl(value);
  if (!url) return undefined;
  if (url.username || url.password) return undefined;
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}
