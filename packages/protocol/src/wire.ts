import type { PimsErrorBody } from "./message.js";

/**
 * The HTTP wire format between the SDK and the server (docs/decisions/0001-wire-format.md).
 *
 * Every operation is `POST <operation.path>` with a JSON object of its non-selector parameters;
 * secrets therefore never travel in a URL. The answer is a {@link WireResponse}, with the HTTP
 * status of the catalogue row on failure.
 */
export const PROTOCOL_VERSION = 1;

/** Header names, lower case as Node sees them. */
export const HEADERS = {
  protocol: "pims-protocol",
  transactionId: "pims-transaction-id",
  deviceId: "pims-device",
  timestamp: "pims-timestamp",
  nonce: "pims-nonce",
  signature: "pims-signature",
  /** The device's public key (raw P-256 point, base64url), on requests of devices still enrolling. */
  deviceKey: "pims-device-key",
  /** Server time in epoch milliseconds, on every answer: the SDK signs with its offset applied. */
  serverTime: "pims-time",
  /** S15/S16 with a transaction: the device's signature over the transaction signing string (decision 0025). */
  transactionSignature: "pims-transaction-signature",
  otp: "pims-otp",
  otpContext: "pims-otp-context",
  /**
   * The app's public client id (`credential.clientId` of `initialize`): selects the tenant (brand)
   * of the request. Absent: the deployment's default tenant. Not a secret (decision 0028).
   */
  clientId: "pims-client-id",
} as const;

/** The body of every server answer. The transaction id is the SDK's, not the server's. */
export type WireResponse<R = unknown> =
  | { readonly status: "SUCCEEDED"; readonly result: R }
  | { readonly status: "FAILED"; readonly error: PimsErrorBody };

/** Session tokens as the server hands them to the SDK. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Lifetime of the access token in seconds. */
  readonly expiresIn: number;
  readonly username: string;
  /** Opaque account id: the SDK keeps one device key per account. */
  readonly accountId: string;
}

/** Internal routes the SDK uses outside the operation declarations. */
export const INTERNAL_PATHS = {
  refresh: "/v1/user/refresh",
  health: "/health",
  /** `GET`: the app of the request's client id and its tenant, or 2006 (`initialize` asks it). */
  client: "/v1/client",
} as const;

/**
 * True when `value` has the shape of a {@link WireResponse}.
 *
 * @example
 * isWireResponse({ status: "FAILED", error: { code: 2204, label: "Server Error" } }) // true
 */
export function isWireResponse(value: unknown): value is WireResponse {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.status === "SUCCEEDED") return "result" in v;
  if (v.status !== "FAILED") return false;
  const error = v.error as Record<string, unknown> | null | undefined;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof error.code === "number" &&
    Number.isInteger(error.code) &&
    typeof error.label === "string"
  );
}
