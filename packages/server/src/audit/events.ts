/**
 * The audit event catalogue: every event the server appends to `audit_events`, as data — its
 * outcomes, the detail fields it may carry (never a secret), and the metric that counts it.
 * `AuditLog.append` is typed over it, the metrics, the admin API's schema and
 * docs/audit-events.md are read from it (docs/decisions/0024-audit-events-catalogue.md).
 *
 * @example
 * AUDIT_EVENTS["pin.check"].outcomes // ["failure", "refused"]
 * await audit.append({ event: "login", outcome: "success", accountId, clientAddress });
 */
export const AUDIT_EVENTS = {
  "account.create": {
    description: "B1 created an account, or refused to: too many created from the address.",
    outcomes: ["success", "refused"],
    detail: { reason: reason("2383") },
  },
  login: {
    description: "B2: a correct password (success), a wrong one or an unknown login (failure), or a spent quota.",
    outcomes: ["success", "failure", "refused"],
    detail: { reason: reason("2383 (too many failures from the address or on the login)") },
  },
  logout: { description: "B3 closed the session.", outcomes: ["success"], detail: {} },
  "device.validate": {
    description: "S7: the device proved the enrollment SMS code.",
    outcomes: ["success"],
    detail: {},
  },
  "device.enroll": { description: "S10 or S11 enrolled the device.", outcomes: ["success"], detail: {} },
  "device.removeAll": {
    description:
      "S12 removed the account's devices, or refused to: not from an enrolled device nor one that passed S7.",
    outcomes: ["success", "refused"],
    detail: {
      removedDevices: { type: "number", description: "Devices removed." },
      revokedOtps: revokedOtps(),
    },
  },
  "device.disable": {
    description: "An administrator disabled a device (`pims admin disable-device`).",
    outcomes: ["success"],
    detail: { by: by("admin"), revokedOtps: revokedOtps() },
  },
  "pin.set": { description: "S10 or S11 set the account's first PIN.", outcomes: ["success"], detail: {} },
  "pin.check": {
    description: "A PIN was refused: wrong (failure, counted) or the account is blocked (refused, not compared).",
    outcomes: ["failure", "refused"],
    detail: {
      operation: operation(),
      failures: failures(),
      reason: reason("2310 (blocked)"),
    },
  },
  "pin.reset": {
    description: "S13 replaced a forgotten PIN (SMS code to the trusted number).",
    outcomes: ["success"],
    detail: { revokedOtps: revokedOtps() },
  },
  "pin.change": { description: "S14 changed the PIN.", outcomes: ["success"], detail: { revokedOtps: revokedOtps() } },
  "account.block": {
    description: "A wrong PIN reached the limit: the account is blocked until a reset or an unblock.",
    outcomes: ["success"],
    detail: { operation: operation(), failures: failures() },
    counted: { metric: "lockouts", outcomes: { success: "blocked" } },
  },
  "account.unblock": {
    description: "A blocked account was unblocked: by S13, by S12, or by an administrator.",
    outcomes: ["success"],
    detail: { by: by("admin", "pin.reset", "enrollment.remove") },
  },
  "phone.trust": {
    description: "S8 or S11 made a certified number the account's trusted number.",
    outcomes: ["success"],
    detail: { country: country() },
  },
  "phone.change": {
    description: "S9 replaced the trusted number, or refused to (no proof of the PIN, or the account is blocked).",
    outcomes: ["success", "refused"],
    detail: {
      proof: {
        type: "string",
        values: ["pinCode", "recentPin"],
        description: "How the PIN was proven: `pinCode` in the request, or a recent PIN proof of this device.",
      },
      country: country(),
      reason: reason("2308 (no PIN proof) or 2310 (blocked)"),
    },
  },
  "sms.send": {
    description: "An SMS code was sent, refused (pumping guard, resend cooldown), or failed at the operator.",
    outcomes: ["success", "refused", "failure"],
    detail: {
      operation: smsPurpose(),
      reason: reason("2383 (a quota or a circuit breaker) or 2005 (resend cooldown)"),
    },
    counted: {
      metric: "sms",
      outcomes: { success: "sent", refused: "refused", failure: "failed" },
      // A resend asked for within the cooldown (2005) is a normal user action, not a quota refusal.
      reasons: { 2005: "cooldown" },
    },
  },
  "sms.code": {
    description: "An SMS code was refused: wrong, expired, consumed, exhausted, or none outstanding.",
    outcomes: ["refused"],
    detail: { operation: smsPurpose() },
  },
  "sms.notice": {
    description: "A notice (no code) was sent to a number, e.g. to the former number after S9, or failed.",
    outcomes: ["success", "failure"],
    detail: { operation: { type: "string", values: ["phoneChanged"], description: "The notice." } },
  },
  "otp.issue": {
    description: "S15 or S16 issued an OTP.",
    outcomes: ["success"],
    detail: { factors: factors(), transaction: transactionDigest() },
    counted: { metric: "otps", outcomes: { success: "issued" } },
  },
  "otp.verify": {
    description: "A relying party verified an OTP: valid and consumed (success), or not (failure).",
    outcomes: ["success", "failure"],
    detail: {
      relyingParty: relyingParty("The relying party that asked."),
      factors: factors(),
      transaction: transactionDigest(),
      voided: { type: "number", description: "Live OTPs of the account this wrong guess voided (when any)." },
    },
    counted: { metric: "otps", outcomes: { success: "verified", failure: "refused" } },
  },
  "secret.rekey": {
    description: "An administrator re-sealed the PIN verifiers under the current key.",
    outcomes: ["success"],
    detail: { by: by("admin") },
  },
  "assertionKey.rotate": {
    description: "An administrator rotated the signing key of step-up assertions (`pims admin rotate-assertion-key`).",
    outcomes: ["success"],
    detail: {
      by: by("admin"),
      kid: { type: "string", description: "The key that signs from now on (its RFC 7638 thumbprint)." },
      retired: { type: "string", description: "The key it replaced, published for the overlap." },
    },
  },
  "admin.relyingParty.create": {
    description: "An administrator gave a relying party an API key.",
    outcomes: ["success"],
    detail: { relyingParty: relyingParty("The relying party created (its id; never its key).") },
  },
  "admin.relyingParty.revoke": {
    description: "An administrator revoked a relying party's API key.",
    outcomes: ["success"],
    detail: { relyingParty: relyingParty("The relying party revoked.") },
  },
  "admin.tenant.create": {
    description: "The operator created a tenant (a brand) through the admin API.",
    outcomes: ["success"],
    detail: { tenant: { type: "string", description: "The tenant's id." } },
  },
  "admin.tenant.disable": {
    description: "The operator disabled a tenant: its apps' requests answer 2006; its data stays.",
    outcomes: ["success"],
    detail: { tenant: { type: "string", description: "The tenant's id." } },
  },
  "admin.tenant.enable": {
    description: "The operator enabled a disabled tenant again.",
    outcomes: ["success"],
    detail: { tenant: { type: "string", description: "The tenant's id." } },
  },
  "admin.app.create": {
    description: "The operator gave a tenant an app (a client id).",
    outcomes: ["success"],
    detail: { app: { type: "string", description: "The app's client id (public)." } },
  },
  "admin.app.disable": {
    description: "The operator disabled an app: requests with its client id answer 2006.",
    outcomes: ["success"],
    detail: { app: { type: "string", description: "The app's client id (public)." } },
  },
  "admin.app.enable": {
    description: "The operator enabled a disabled app again.",
    outcomes: ["success"],
    detail: { app: { type: "string", description: "The app's client id (public)." } },
  },
  "admin.tenantAdminKey.create": {
    description: "The operator gave a tenant an administrator key, which administers that tenant only.",
    outcomes: ["success"],
    detail: { key: { type: "string", description: "The key's id (never the key)." } },
  },
  "admin.tenantAdminKey.revoke": {
    description: "The operator revoked a tenant administrator key.",
    outcomes: ["success"],
    detail: { key: { type: "string", description: "The key's id." } },
  },
} as const satisfies Readonly<Record<string, AuditEventDeclaration>>;

/** What an event ended in. */
export type AuditOutcome = "success" | "failure" | "refused";

/** One row of the catalogue. */
export interface AuditEventDeclaration {
  readonly description: string;
  /** The outcomes the event may be appended with. */
  readonly outcomes: readonly AuditOutcome[];
  /** The detail fields it may carry (all optional), by name. */
  readonly detail: Readonly<Record<string, AuditDetailField>>;
  /** The metric that counts it, and the `event` label of each counted outcome. */
  readonly counted?: AuditCounter;
}

export interface AuditDetailField {
  readonly type: "string" | "number";
  /** The only values a string field takes. */
  readonly values?: readonly string[];
  readonly description: string;
}

export interface AuditCounter {
  /** `pims_<metric>_total`. */
  readonly metric: "otps" | "sms" | "lockouts";
  readonly outcomes: Readonly<Partial<Record<AuditOutcome, string>>>;
  /** An event whose `reason` is one of these is counted under this label instead. */
  readonly reasons?: Readonly<Record<number, string>>;
}

export type AuditEventName = keyof typeof AUDIT_EVENTS;

export type AuditOutcomeOf<E extends AuditEventName> = (typeof AUDIT_EVENTS)[E]["outcomes"][number];

type Fields<E extends AuditEventName> = (typeof AUDIT_EVENTS)[E]["detail"];

type FieldValue<F> = F extends { readonly values: readonly (infer V)[] }
  ? V
  : F extends { readonly type: "number" }
    ? number
    : string;

/**
 * The detail an event `E` may carry: only its declared fields (but `Without`), each of its declared
 * type; none at all when it declares none.
 */
export type AuditDetailOf<E extends AuditEventName, Without extends string = never> = DetailOf<
  Fields<E>,
  Exclude<keyof Fields<E>, Without>
>;

type DetailOf<F, Names extends keyof F> = [Names] extends [never]
  ? { readonly [field: string]: never }
  : { readonly [K in Names]?: FieldValue<F[K]> } & { readonly [K in Exclude<AnyField, Names>]?: never };

/**
 * Every field some event declares: another event's field is refused even where TypeScript checks
 * no excess property (a field spread in, `{ ...(n ? { failures: n } : {}) }`).
 */
type AnyField = { [E in AuditEventName]: keyof Fields<E> }[AuditEventName];

/** One event as appended: a catalogue name, one of its outcomes, its detail. */
export interface AuditEventOf<E extends AuditEventName> {
  readonly event: E;
  readonly outcome: AuditOutcomeOf<E>;
  readonly accountId?: string | null;
  readonly deviceId?: string | null;
  readonly clientAddress?: string | null;
  readonly detail?: AuditDetailOf<E>;
}

/** Any event of the catalogue (a union discriminated by `event`). */
export type AuditEvent = { [E in AuditEventName]: AuditEventOf<E> }[AuditEventName];

function reason(codes: string) {
  return { type: "number", description: `The error code answered when refused: ${codes}.` } as const;
}

function revokedOtps() {
  return { type: "number", description: "Live OTPs that died with the change." } as const;
}

/** Who did it: `admin` (an administrator) or the operation (e.g. `pin.reset`). */
function by<const V extends readonly string[]>(...values: V) {
  return { type: "string", values, description: "Who did it: `admin`, or the operation that did." } as const;
}

function operation() {
  return { type: "string", description: "The operation that checked the PIN (e.g. `otp.withPIN`)." } as const;
}

function failures() {
  return { type: "number", description: "Wrong PINs in a row, this one included." } as const;
}

function country() {
  return { type: "string", description: "The number's country (ISO 3166 alpha-2), when known." } as const;
}

function smsPurpose() {
  return {
    type: "string",
    values: ["enrollment", "certification", "resetPin"],
    description: "What the code is for.",
  } as const;
}

function factors() {
  return {
    type: "string",
    description: "The factors the OTP vouches for, joined by `+` (e.g. `possession+knowledge`).",
  } as const;
}

function transactionDigest() {
  return {
    type: "string",
    description: "With a transaction (decision 0025): its digest, base64url SHA-256 of its canonical form.",
  } as const;
}

function relyingParty(description: string) {
  return { type: "string", description: `${description} Its id.` } as const;
}
