import { errorBody, INTERNAL_PATHS, type PimsErrorBody, type SessionTokens } from "@pims/protocol";
import type { PimsStore } from "../stores/PimsStore.js";
import { type CallOutcome, callServer, type TransportConfig } from "../transport/callServer.js";

/** The session as the SDK keeps it (in memory, and in the store so that it survives restarts). */
export interface StoredSession {
  /** `pims`: tokens issued by the Pims server; `external`: a bearer from an OpenID Connect issuer. */
  readonly kind: "pims" | "external";
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds after which the access token is refused; absent when unknown. */
  readonly expiresAt?: number;
  readonly username: string;
  /** The server's account id (one device key per account). */
  readonly accountId?: string;
}

export type TokenOutcome =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly error: PimsErrorBody };

const STORE_KEY = "pims.session";
/** Refresh this long before the access token expires, so a call never carries a dying token. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * Keeps the session: opens it from login answers, refreshes the access token (one refresh at a
 * time, however many calls need it), and forgets it.
 */
export class SessionKeeper {
  #session: StoredSession | undefined;
  #refreshing: Promise<TokenOutcome> | undefined;

  constructor(
    private readonly store: PimsStore,
    private readonly transport: TransportConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): StoredSession | undefined {
    return this.#session;
  }

  /** Restores the session kept in the store, if it has a usable shape. */
  async load(): Promise<void> {
    const stored = await this.store.get(STORE_KEY);
    this.#session = isStoredSession(stored) ? stored : undefined;
  }

  async open(tokens: SessionTokens): Promise<void> {
    await this.#keep({
      kind: "pims",
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: this.now() + tokens.expiresIn * 1000,
      username: tokens.username,
      accountId: tokens.accountId,
    });
  }

  async openExternal(token: string, username: string, accountId: string): Promise<void> {
    await this.#keep({ kind: "external", accessToken: token, username, accountId });
  }

  /** Forgets the session in memory and in the store. */
  async forget(): Promise<void> {
    this.#session = undefined;
    await this.store.delete(STORE_KEY);
  }

  /** The access token, refreshed first when it is about to expire. */
  async accessToken(transactionId: string): Promise<TokenOutcome> {
    const session = this.#session;
    if (!session) return { ok: false, error: errorBody(2301) };
    if (session.expiresAt === undefined || session.expiresAt - this.now() > REFRESH_MARGIN_MS) {
      return { ok: true, token: session.accessToken };
    }
    return this.refresh(transactionId);
  }

  /**
   * Trades the refresh token for new tokens. Concurrent callers share one request, since the
   * server rotates refresh tokens and treats a reused one as stolen.
   */
  refresh(transactionId: string): Promise<TokenOutcome> {
    this.#refreshing ??= this.#refresh(transactionId).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(transactionId: string): Promise<TokenOutcome> {
    const session = this.#session;
    if (!session?.refreshToken) return { ok: false, error: errorBody(2301) };
    const outcome: CallOutcome = await callServer(this.transport, {
      path: INTERNAL_PATHS.refresh,
      body: JSON.stringify({ refreshToken: session.refreshToken }),
      headers: {},
      transactionId,
    });
    if (!outcome.ok) {
      if (outcome.error.code === 2301) await this.forget();
      return outcome;
    }
    if (!isSessionTokens(outcome.result)) return { ok: false, error: errorBody(2203) };
    await this.open(outcome.result);
    return { ok: true, token: outcome.result.accessToken };
  }

  async #keep(session: StoredSession): Promise<void> {
    this.#session = session;
    await this.store.set(STORE_KEY, session);
  }
}

/** True when `value` is a session answer of the server. */
export function isSessionTokens(value: unknown): value is SessionTokens {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.accessToken === "string" &&
    typeof v.refreshToken === "string" &&
    typeof v.expiresIn === "number" &&
    v.expiresIn > 0 &&
    typeof v.username === "string" &&
    typeof v.accountId === "string"
  );
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.kind === "pims" || v.kind === "external") &&
    typeof v.accessToken === "string" &&
    typeof v.username === "string" &&
    (v.refreshToken === undefined || typeof v.refreshToken === "string") &&
    (v.accountId === undefined || typeof v.accountId === "string") &&
    (v.expiresAt === undefined || typeof v.expiresAt === "number")
  );
}
