import { errorBody, HEADERS, isWireResponse, type PimsErrorBody, PROTOCOL_VERSION } from "@pims/protocol";

export interface TransportConfig {
  /** Base URL, ending with a slash. */
  readonly baseUrl: URL;
  readonly timeoutMs: number;
  readonly fetch: typeof globalThis.fetch;
  /** The app's public client id (`credential.clientId`), sent as `Pims-Client-Id` on every call. */
  readonly clientId?: string | undefined;
}

export interface ServerCall {
  /** Absolute path of the route, e.g. `/v1/otp/with-pin`. */
  readonly path: string;
  /**
   * Raw JSON text of the body, so that a signature can cover exactly these bytes. Without one the
   * call is a `GET` (an internal route that takes no body); with one, a `POST` (every operation).
   */
  readonly body?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly transactionId: string;
}

export type CallOutcome = (
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: PimsErrorBody }
) & {
  /** The server's clock (`Pims-Time`), when it answered. */
  readonly serverTime?: number;
};

/**
 * Sends one call (with the app's client id, when configured) and maps every way it can fail to a catalogue code: no answer within
 * `timeoutMs` → 2201; no connection → 2202; an answer that is not a Pims message → 2203
 * (2204 when the HTTP status says the server failed); a FAILED message → its own code.
 */
export async function callServer(config: TransportConfig, call: ServerCall): Promise<CallOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeoutMs);
  let status: number;
  let text: string;
  let serverTime: number | undefined;
  const { body, clientId } = { ...config, ...call };
  try {
    const response = await config.fetch(new URL(call.path.replace(/^\//, ""), config.baseUrl), {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...(body !== undefined && { "content-type": "application/json" }),
        accept: "application/json",
        [HEADERS.protocol]: String(PROTOCOL_VERSION),
        [HEADERS.transactionId]: call.transactionId,
        ...(clientId && { [HEADERS.clientId]: clientId }),
        ...call.headers,
      },
      body,
      signal: controller.signal,
      redirect: "error",
    });
    status = response.status;
    const time = Number(response.headers.get(HEADERS.serverTime));
    serverTime = Number.isFinite(time) && time > 0 ? time : undefined;
    text = await response.text();
  } catch {
    return failure(timedOut ? 2201 : 2202);
  } finally {
    clearTimeout(timer);
  }
  const outcome = readAnswer(status, text);
  return serverTime === undefined ? outcome : { ...outcome, serverTime };
}

function readAnswer(status: number, text: string): CallOutcome {
  const unusable = failure(status >= 500 ? 2204 : 2203);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unusable;
  }
  if (!isWireResponse(parsed)) return unusable;
  if (parsed.status === "FAILED") return { ok: false, error: { code: parsed.error.code, label: parsed.error.label } };
  if (status < 200 || status > 299) return unusable;
  return { ok: true, result: parsed.result };
}

function failure(code: number): CallOutcome {
  return { ok: false, error: errorBody(code) };
}
