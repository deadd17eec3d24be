import type { ParamList } from "./operations/types.js";
import { OTP_FORMAT } from "./params/formats.js";
import type { Acr, AuthenticationMethod } from "./stepUp.js";

/**
 * The relying-party API: what the owner of a protected API uses to verify an OTP
 * (docs/relying-parties.md). Authenticated by the relying party's API key as a bearer token.
 */
export const RELYING_PARTY_PATHS = {
  verify: "/v1/rp/verify",
} as const;

/**
 * The parameters of a verification, declared like an operation's: the server checks a body with
 * `validateParams` (2101/2102 naming the parameter). Exactly one of `account` and `accessToken`
 * must be there (checked after).
 */
export const VERIFY_PARAMS = {
  params: [
    {
      name: "otp",
      required: true,
      format: OTP_FORMAT,
      secret: true,
      description: "The OTP the client presented.",
      example: "12345678",
    },
    {
      name: "account",
      required: false,
      format: { kind: "text", maxLength: 256 },
      secret: false,
      description: "The Pims account id the OTP must belong to (or give accessToken).",
      example: "acc_01J…",
    },
    {
      name: "accessToken",
      required: false,
      format: { kind: "text", maxLength: 8192 },
      secret: true,
      description: "The Pims access token the client called the protected API with (or give account).",
      example: "pat_…",
    },
    {
      name: "context",
      required: false,
      format: { kind: "text", maxLength: 256 },
      secret: false,
      description: "The context the OTP must have been asked for, if any.",
      example: "transfer:FR76…:120",
    },
    {
      name: "transaction",
      required: false,
      format: { kind: "transaction" },
      secret: false,
      description:
        "The transaction the OTP must have been asked for, if any (a JSON object; not with context): compared in its RFC 8785 canonical form.",
      example: '{"type":"vehicle.unlock","vin":"VF3LCYHZPHS123456"}',
    },
    {
      name: "assertion",
      required: false,
      format: { kind: "enum", values: ["jws"] },
      secret: false,
      description:
        "jws: a valid verification also carries `assertion`, a short-lived JWS (ES256) signed by Pims for this relying party.",
      example: "jws",
    },
  ],
} as const satisfies ParamList;

/** Header a client puts its OTP in when it repeats a protected call. */
export const OTP_HEADER = "pims-otp";

/** Body of a verification. Exactly one of `account` and `accessToken` names the account. */
export interface VerifyRequest {
  readonly otp: string;
  /** Pims account id the OTP must belong to. */
  readonly account?: string;
  /** Or: the Pims access token the client called the protected API with. */
  readonly accessToken?: string;
  /** The context the OTP must have been asked for, if any. */
  readonly context?: string;
  /** Or: the transaction the OTP must have been asked for (decision 0025). */
  readonly transaction?: object;
  /** `jws`: a valid verification also carries a signed assertion (`VerifyResult.assertion`). */
  readonly assertion?: "jws";
}

/** A device's public key, as a JWK that WebCrypto imports (`crypto.subtle.importKey("jwk", …)`). */
export interface DevicePublicJwk {
  readonly kty: "EC";
  readonly crv: "P-256";
  readonly x: string;
  readonly y: string;
}

/**
 * What proves which device approved exactly which transaction (decision 0025), checkable with plain
 * WebCrypto: `publicKey` verifies `signature` (ECDSA P-256, SHA-256, IEEE P1363, base64url) over the
 * UTF-8 of `signedString` (`transactionSigningString`), whose last line is `digest`, the base64url
 * SHA-256 of the UTF-8 of `canonical`.
 */
export interface TransactionEvidence {
  readonly digest: string;
  /** The transaction's RFC 8785 canonical text. */
  readonly canonical: string;
  readonly signature: string;
  readonly signedString: string;
  /** The key the device enrolled with; its thumbprint is the device id (decision 0003). */
  readonly publicKey: DevicePublicJwk;
}

export type Factor = "possession" | "knowledge";

/** Result of a verification; the OTP is consumed when `valid`. */
export type VerifyResult =
  | {
      readonly valid: true;
      readonly account: { readonly id: string; readonly username: string };
      readonly device: string;
      readonly factors: readonly Factor[];
      /** Epoch milliseconds. */
      readonly issuedAt: number;
      /** The assurance level reached (RFC 9470 `acr`): `pims:possession` or `pims:possession+knowledge`. */
      readonly acr: Acr;
      /** RFC 8176 method references: `swk`, and for S15 `pin` and `mfa`; `sms` after an SMS recovery of the PIN. */
      readonly amr: readonly AuthenticationMethod[];
      /** When the user proved the factors (the OTP's issue), epoch milliseconds (RFC 9470 `auth_time`, in ms). */
      readonly authTime: number;
      /** With a transaction: the device's signature over it, and its key. */
      readonly transaction?: TransactionEvidence;
      /** Compact JWS (ES256) when the request asked `assertion: "jws"`: see `AssertionClaims`. */
      readonly assertion?: string;
    }
  | { readonly valid: false };
