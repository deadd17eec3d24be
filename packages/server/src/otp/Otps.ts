import type { AuthenticationMethod, Factor } from "@pims/protocol";
import { type Expression, type Kysely, type QueryCreator, sql } from "kysely";
import type { Clock } from "../Clock.js";
import type { OtpSettings } from "../config/Config.js";
import type { Keyring } from "../crypto/Keyring.js";
import { randomDigits, randomId, sha256Base64Url } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema, OtpsTable } from "../db/schema.js";
import { deviceIsActive } from "../device/Devices.js";
import type { SignedTransaction } from "../device/verifyTransactionSignature.js";

/** Why live OTPs were revoked; kept in `consumed_by` as `revoked:<reason>`. */
export type OtpRevocation = "device.removeAll" | "device.disable" | "pin.reset" | "pin.change";

/** `consumed_by` of an OTP voided by the guessing limit. */
export const VOIDED = "voided:guessing-limit";

export interface IssuedOtp {
  readonly otp: string;
  readonly expiresAt: number;
}

export interface ConsumedOtp {
  readonly deviceId: string;
  readonly factors: readonly Factor[];
  readonly issuedAt: number;
  /** The transaction it was issued for, as the device signed it (decision 0025). */
  readonly transaction: SignedTransaction | undefined;
  /** RFC 8176 methods, as recorded at issue. */
  readonly methods: readonly AuthenticationMethod[];
}

/**
 * The RFC 8176 methods of factors: `swk` for the device key, and `pin` and `mfa` with the PIN. The
 * issue adds `sms` after an SMS recovery; an OTP issued before methods were recorded has these.
 */
export function methodsOf(factors: readonly Factor[]): AuthenticationMethod[] {
  return factors.includes("knowledge") ? ["swk", "pin", "mfa"] : ["swk"];
}

/** What an OTP is bound to besides account and device: nothing, a context, or a transaction. */
export type Binding = "none" | "context" | "transaction";

/**
 * A consume: the OTP if it is live, of this account, and of this context or this transaction (its
 * canonical text; at most one of the two).
 */
export interface ConsumeRequest {
  readonly accountId: string;
  readonly otp: string;
  readonly context: string | undefined;
  readonly transaction: string | undefined;
  readonly relyingPartyId: string;
}

/** The values of one consume besides its account ({@link Otps.consumeQuery}), by parameter name. */
export type ConsumeValues = {
  readonly now: number;
  readonly relyingPartyId: string;
  readonly mac: string;
  readonly contextHash: string | null;
  readonly transactionDigest: string | null;
};

/** The row a consume returns. */
export type ConsumedRow = Pick<
  OtpsTable,
  | "device_id"
  | "factors"
  | "issued_at"
  | "methods"
  | "transaction_digest"
  | "transaction_canonical"
  | "transaction_signature"
  | "transaction_signed"
>;

/**
 * One-time passwords (design property 4; docs/decisions/0007-otp-scheme.md): digits from the
 * CSPRNG, issued by the server after the checks of S15/S16, stored only as an HMAC under the
 * secret key, bound to account and device (and to a context or a signed transaction when asked,
 * never both), short-lived, and consumed
 * by one atomic statement — one success however many verifications race, on any number of nodes.
 */
export class Otps {
  // Compiled once (db/Prepared.ts); consume has a form per binding.
  readonly #insert;
  readonly #consume: Readonly<Record<Binding, ReturnType<typeof this.consumeStatement>>>;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly settings: OtpSettings,
  ) {
    this.#insert = prepare(
      db.insertInto("otps").values({
        id: param<string>("id"),
        account_id: param<string>("accountId"),
        device_id: param<string>("deviceId"),
        otp_mac: param<string>("mac"),
        factors: param<string>("factors"),
        context_hash: param<string | null>("contextHash"),
        issued_at: param<number>("now"),
        expires_at: param<number>("expiresAt"),
        consumed_at: null,
        consumed_by: null,
        wrong_guesses: 0,
        methods: param<string>("methods"),
        transaction_digest: param<string | null>("transactionDigest"),
        transaction_canonical: param<string | null>("transactionCanonical"),
        transaction_signature: param<string | null>("transactionSignature"),
        transaction_signed: param<string | null>("transactionSigned"),
      }),
      // Nothing reads the insert's result (the OTP's id and digits are drawn here): in a PostgreSQL
      // transaction it goes with the writes around it (db/DeferredWrites.ts).
      { deferrable: true },
    );
    this.#consume = {
      none: this.consumeStatement("none"),
      context: this.consumeStatement("context"),
      transaction: this.consumeStatement("transaction"),
    };
  }

  private consumeStatement(binding: Binding) {
    return prepare(Otps.consumeQuery(this.db, binding, param<string>("accountId")));
  }

  /**
   * The consume (an UPDATE … RETURNING), for its compiled form and as a part of a composed
   * statement: the verification's statement on PostgreSQL takes the account from its locked row
   * (issue 14). Its other values are the parameters {@link consumeArguments} names, or, given
   * `source` (a row source the statement joins, one row per verification: the verifications of one
   * event-loop turn consumed together), that source's columns of the same names.
   */
  static consumeQuery(
    db: QueryCreator<DatabaseSchema>,
    binding: Binding,
    accountId: string | Expression<string>,
    source?: string,
  ) {
    const value = <T>(name: keyof ConsumeValues) =>
      source === undefined ? param<T>(name) : sql<T>`${sql.ref(`${source}.${name}`)}`;
    const update = db.updateTable("otps");
    return (
      (source === undefined ? update : (update.from(source as never) as unknown as typeof update))
        .set({ consumed_at: value<number>("now"), consumed_by: value<string>("relyingPartyId") })
        .where("account_id", "=", accountId)
        .where("otp_mac", "=", value<string>("mac"))
        .where("consumed_at", "is", null)
        .where("expires_at", ">", value<number>("now"))
        .where("wrong_guesses", "<", param<number>("maxWrongGuesses"))
        // An OTP of a context verifies only with it, one of a transaction only with it, and one of
        // neither only without either.
        .where((eb) =>
          binding === "context"
            ? eb("context_hash", "=", value<string>("contextHash"))
            : eb("context_hash", "is", null),
        )
        .where((eb) =>
          binding === "transaction"
            ? eb("transaction_digest", "=", value<string>("transactionDigest"))
            : eb("transaction_digest", "is", null),
        )
        // Its device must still be enrolled: an OTP whose issue raced the device's removal or
        // disabling (and so escaped its revocation) still dies with the device.
        .where(deviceIsActive("otps.device_id", "otps.account_id"))
        .returning([
          "device_id",
          "factors",
          "issued_at",
          "methods",
          "transaction_digest",
          "transaction_canonical",
          "transaction_signature",
          "transaction_signed",
        ])
    );
  }

  /**
   * For a consume whose values come from `source` ({@link consumeQuery}): the ids of the OTP rows it
   * could consume (each `source` row's account and MAC), locked as the consume would lock them, but
   * only those no other transaction holds (SKIP LOCKED). A statement that consumes only these never
   * waits on an OTP row: a wait would leave it reading the rest (the device check of every other
   * row) as the database was before the holder committed.
   */
  static freeRows(db: QueryCreator<DatabaseSchema>, source: string) {
    const column = (name: string) => sql.ref(`${source}.${name}`);
    return db
      .selectFrom("otps")
      .select("otps.id")
      .where(
        sql<boolean>`exists (select 1 from ${sql.table(source)} where ${column("accountId")} = ${sql.ref("otps.account_id")} and ${column("mac")} = ${sql.ref("otps.otp_mac")})`,
      )
      .forNoKeyUpdate()
      .skipLocked();
  }

  /** The binding of a consume and its parameters' values ({@link consumeQuery}). */
  consumeArguments(request: ConsumeRequest): {
    binding: Binding;
    args: ConsumeValues & { accountId: string; maxWrongGuesses: number };
  } {
    const binding: Binding =
      request.transaction !== undefined ? "transaction" : request.context !== undefined ? "context" : "none";
    return {
      binding,
      args: {
        now: this.clock.now(),
        relyingPartyId: request.relyingPartyId,
        accountId: request.accountId,
        mac: this.#mac(request.accountId, request.otp),
        contextHash: digestOf(request.context),
        transactionDigest: digestOf(request.transaction),
        maxWrongGuesses: this.settings.maxFailedVerifications,
      },
    };
  }

  async issue(
    request: {
      accountId: string;
      deviceId: string;
      factors: readonly Factor[];
      /** RFC 8176 methods the issue rests on (`swk`, `pin`, `mfa`, `sms`). */
      methods: readonly AuthenticationMethod[];
      context: string | undefined;
      transaction: SignedTransaction | undefined;
    },
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<IssuedOtp> {
    const now = this.clock.now();
    const otp = randomDigits(this.settings.length);
    const expiresAt = now + this.settings.ttlSeconds * 1000;
    await this.#insert.execute(db, {
      id: randomId("otp", now),
      accountId: request.accountId,
      deviceId: request.deviceId,
      mac: this.#mac(request.accountId, otp),
      factors: request.factors.join("+"),
      methods: request.methods.join(" "),
      contextHash: digestOf(request.context),
      transactionDigest: request.transaction?.digest ?? null,
      transactionCanonical: request.transaction?.canonical ?? null,
      transactionSignature: request.transaction?.signature ?? null,
      transactionSigned: request.transaction?.signedString ?? null,
      now,
      expiresAt,
    });
    return { otp, expiresAt };
  }

  /**
   * Consumes the OTP if it is live, of this account, and of this context or this transaction (its
   * canonical text; at most one of the two); `undefined` otherwise.
   */
  async consume(request: ConsumeRequest, db: Kysely<DatabaseSchema> = this.db): Promise<ConsumedOtp | undefined> {
    const { binding, args } = this.consumeArguments(request);
    const row = await this.#consume[binding].first(db, args);
    return row && Otps.consumed(row);
  }

  /** What a consumed row says (the RETURNING of {@link consumeQuery}). */
  static consumed(row: ConsumedRow): ConsumedOtp {
    const factors = row.factors.split("+") as Factor[];
    const { transaction_digest, transaction_canonical, transaction_signature, transaction_signed } = row;
    return {
      deviceId: row.device_id,
      factors,
      issuedAt: Number(row.issued_at),
      methods: row.methods === null ? methodsOf(factors) : (row.methods.split(" ") as AuthenticationMethod[]),
      transaction:
        transaction_digest && transaction_canonical && transaction_signature && transaction_signed
          ? {
              digest: transaction_digest,
              canonical: transaction_canonical,
              signature: transaction_signature,
              signedString: transaction_signed,
            }
          : undefined,
    };
  }

  /**
   * Kills the live OTPs of an account — or of one of its devices — when what vouched for them is
   * gone (design property 4): the device removed or disabled (`deviceId` given), the PIN reset or
   * changed (all of the account's). Call in the transaction of that change. Returns how many died.
   */
  async revoke(
    scope: { readonly accountId: string; readonly deviceId?: string },
    reason: OtpRevocation,
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<number> {
    let query = db
      .updateTable("otps")
      .set({ consumed_at: this.clock.now(), consumed_by: `revoked:${reason}` })
      .where("account_id", "=", scope.accountId)
      .where("consumed_at", "is", null);
    if (scope.deviceId !== undefined) query = query.where("device_id", "=", scope.deviceId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Counts a wrong guess against every live OTP of the account; those that reached the limit are
   * voided (the guessing limit spends what was being guessed, never the verifications to come).
   * No live OTP, nothing counted: there was nothing to guess. Returns how many were voided.
   */
  async countWrongGuess(accountId: string, db: Kysely<DatabaseSchema>): Promise<number> {
    const now = this.clock.now();
    const live = (query: ReturnType<typeof this.db.updateTable<"otps">>) =>
      query.where("account_id", "=", accountId).where("consumed_at", "is", null).where("expires_at", ">", now);
    await live(db.updateTable("otps"))
      .set((eb) => ({ wrong_guesses: eb("wrong_guesses", "+", 1) }))
      .execute();
    const voided = await live(db.updateTable("otps"))
      .set({ consumed_at: now, consumed_by: VOIDED })
      .where("wrong_guesses", ">=", this.settings.maxFailedVerifications)
      .executeTakeFirst();
    return Number(voided.numUpdatedRows);
  }

  /** Deletes OTPs expired more than a minute ago. */
  async purgeExpired(): Promise<void> {
    await this.db
      .deleteFrom("otps")
      .where("expires_at", "<", this.clock.now() - 60_000)
      .execute();
  }

  #mac(accountId: string, otp: string): string {
    // The MAC is what the lookup matches on, so no comparison of the secret happens in code.
    return this.keyring.hmac("otp", `${accountId}|${otp}`);
  }
}

function digestOf(text: string | undefined): string | null {
  return text === undefined ? null : sha256Base64Url(text);
}
