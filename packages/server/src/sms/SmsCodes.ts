import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/AuditLog.js";
import type { Clock } from "../Clock.js";
import type { SmsSettings } from "../config/Config.js";
import { PimsError } from "../core/PimsError.js";
import { constantTimeEqual } from "../crypto/constantTimeEqual.js";
import type { Keyring } from "../crypto/Keyring.js";
import { randomDigits, randomId } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { Counters } from "../ratelimit/Counters.js";
import type { SmsInbox } from "./SmsInbox.js";
import type { SmsProvider } from "./SmsProvider.js";
import type { SmsPumpingGuard } from "./SmsPumpingGuard.js";
import { noticeText, type SmsLanguage, type SmsNotice, type SmsPurpose, smsText } from "./templates.js";

export interface SendCode {
  readonly accountId: string;
  readonly purpose: SmsPurpose;
  readonly phone: string;
  readonly clientAddress: string;
  readonly language: SmsLanguage;
}

export interface ConsumeCode {
  readonly accountId: string;
  readonly purpose: SmsPurpose;
  /** The number the code must have been sent to. */
  readonly phone: string;
  readonly code: string;
  readonly clientAddress: string;
}

/**
 * SMS codes (design property 5): digits from the CSPRNG; only an HMAC under the secret key is
 * stored, over account, purpose, number and code, so a code is good for that account, that purpose
 * and that number only; a code expires, is consumed by its first successful use, and allows
 * `maxTriesPerCode` wrong tries. Wrong tries also spend a budget per account that a new code does
 * not restore; once it is spent a new code gets one try. Asking for a new code supersedes the
 * previous one.
 */
export class SmsCodes {
  // Compiled once (db/Prepared.ts), and deferrable: a sent code's transaction is these two writes
  // and its audit row, one statement on PostgreSQL (db/DeferredWrites.ts).
  readonly #supersede;
  readonly #insert;

  constructor(
    private readonly deps: {
      readonly db: Kysely<DatabaseSchema>;
      readonly clock: Clock;
      readonly keyring: Keyring;
      readonly counters: Counters;
      readonly audit: AuditLog;
      readonly logger: Logger;
      readonly provider: SmsProvider;
      readonly guard: SmsPumpingGuard;
      readonly inbox: SmsInbox | undefined;
      readonly settings: SmsSettings;
    },
  ) {
    this.#supersede = prepare(
      deps.db
        .updateTable("sms_codes")
        .set({ consumed_at: param<number>("now") })
        .where("account_id", "=", param<string>("accountId"))
        .where("consumed_at", "is", null)
        .where("purpose", "=", param<string>("purpose")),
      { deferrable: true },
    );
    this.#insert = prepare(
      deps.db.insertInto("sms_codes").values({
        id: param<string>("id"),
        account_id: param<string>("accountId"),
        purpose: param<string>("purpose"),
        phone_e164: param<string>("phone"),
        code_mac: param<string>("mac"),
        key_id: param<string>("keyId"),
        created_at: param<number>("now"),
        expires_at: param<number>("expiresAt"),
        attempts: 0,
        consumed_at: null,
      }),
      { deferrable: true },
    );
  }

  /** Sends a new code; 2383/2005 from the guard, 2204 when the operator fails (nothing kept). */
  async send(request: SendCode): Promise<void> {
    const { db, clock, keyring, audit, logger, provider, guard, inbox, settings } = this.deps;
    const reservation = await guard.reserve(request).catch(async (error: unknown) => {
      if (error instanceof PimsError) {
        await audit.append({
          event: "sms.send",
          outcome: "refused",
          accountId: request.accountId,
          clientAddress: request.clientAddress,
          detail: { operation: request.purpose, reason: error.code },
        });
      }
      throw error;
    });
    const code = randomDigits(settings.codeLength);
    const message = {
      to: request.phone,
      body: smsText(request.language, request.purpose, code, Math.ceil(settings.codeTtlSeconds / 60), settings),
      ...(settings.senderId ? { from: settings.senderId } : {}),
    };
    try {
      await provider.send(message);
    } catch (error) {
      await reservation.release();
      logger.warn({ err: error, provider: provider.name }, "SMS delivery failed");
      await audit.append({
        event: "sms.send",
        outcome: "failure",
        accountId: request.accountId,
        clientAddress: request.clientAddress,
        detail: { operation: request.purpose },
      });
      throw new PimsError(2204, { cause: error });
    }
    inbox?.record({ ...message, at: clock.now() });
    const now = clock.now();
    // The metrics hear of the send once it has committed.
    await audit.heldUntilCommit(
      (held) => db.transaction().execute(held),
      async (trx) => {
        const { accountId, purpose, phone } = request;
        await this.#supersede.execute(trx, { now, accountId, purpose });
        await this.#insert.execute(trx, {
          id: randomId("sms", now),
          accountId,
          purpose,
          phone,
          mac: keyring.hmac("sms-code", macInput(accountId, purpose, phone, code)),
          keyId: keyring.currentId,
          now,
          expiresAt: now + settings.codeTtlSeconds * 1000,
        });
        await audit.append(
          {
            event: "sms.send",
            outcome: "success",
            accountId: request.accountId,
            clientAddress: request.clientAddress,
            detail: { operation: request.purpose },
          },
          trx,
        );
      },
    );
  }

  /**
   * Consumes the current code of `purpose` if `code` is it; 2305 otherwise (wrong, expired,
   * consumed, exhausted, another purpose, another number). Only a guess at a live code is a guess:
   * with none outstanding nothing is compared and nothing is spent, so junk calls are no lever.
   * Each step that guards a limit is one atomic statement, committed before the code is compared,
   * so racing guesses cannot exceed either limit: `maxTriesPerCode` per code, and the account's
   * `tryBudget` across codes and purposes. A spent budget refuses nothing: it leaves each new code
   * one try, and a wrong one voids it (the live code is what was being guessed), so the user's
   * fresh code still works while guessing stays bounded (docs/security.md).
   */
  async consume(request: ConsumeCode): Promise<void> {
    const { db, clock, keyring, counters, settings } = this.deps;
    const refuse = async (): Promise<never> => {
      await this.deps.audit.append({
        event: "sms.code",
        outcome: "refused",
        accountId: request.accountId,
        clientAddress: request.clientAddress,
        detail: { operation: request.purpose },
      });
      throw new PimsError(2305);
    };
    const now = clock.now();
    const current = await db
      .selectFrom("sms_codes")
      .select(["id", "phone_e164", "code_mac", "key_id", "expires_at"])
      .where("account_id", "=", request.accountId)
      .where("purpose", "=", request.purpose)
      .where("consumed_at", "is", null)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!current || current.expires_at <= now || !keyring.has(current.key_id)) return refuse();
    const budgetKey = `sms-tries:${request.accountId}`;
    const spent = await counters.hit(budgetKey, settings.tryWindowSeconds * 1000);
    const overBudget = spent > settings.tryBudget;
    const tried = await db
      .updateTable("sms_codes")
      .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
      .where("id", "=", current.id)
      .where("attempts", "<", overBudget ? 1 : settings.maxTriesPerCode)
      .where("consumed_at", "is", null)
      .executeTakeFirst();
    const expected = keyring.hmac(
      "sms-code",
      macInput(request.accountId, request.purpose, request.phone, request.code),
      current.key_id,
    );
    const compared = Number(tried.numUpdatedRows) === 1;
    if (!compared) {
      await counters.refund(budgetKey); // exhausted meanwhile: nothing was compared
      return refuse();
    }
    const right = constantTimeEqual(expected, current.code_mac);
    // The right code consumes it; once the budget is spent, a wrong try voids it.
    if (!right && !overBudget) return refuse();
    const consumed = await db
      .updateTable("sms_codes")
      .set({ consumed_at: now })
      .where("id", "=", current.id)
      .where("consumed_at", "is", null)
      .executeTakeFirst();
    if (!right || Number(consumed.numUpdatedRows) !== 1) return refuse();
    await counters.refund(budgetKey);
  }

  /**
   * Sends a notice (no code) to a number, e.g. the former trusted number after S9. Best effort: a
   * failed delivery is logged and audited, never an error of the operation that already committed.
   * Not under the pumping quotas: one notice follows one change, which itself needed a code.
   */
  async notify(request: {
    readonly accountId: string;
    readonly notice: SmsNotice;
    readonly phone: string;
    /** The last digits the notice may show of the new number. */
    readonly ending: string;
    readonly clientAddress: string;
    readonly language: SmsLanguage;
  }): Promise<void> {
    const { provider, audit, logger, inbox, clock, settings } = this.deps;
    const message = {
      to: request.phone,
      body: noticeText(request.language, request.notice, request.ending, settings),
      ...(settings.senderId ? { from: settings.senderId } : {}),
    };
    const event = { event: "sms.notice" as const, accountId: request.accountId, clientAddress: request.clientAddress };
    try {
      await provider.send(message);
    } catch (error) {
      logger.warn({ err: error, provider: provider.name, notice: request.notice }, "SMS notice delivery failed");
      await audit.append({ ...event, outcome: "failure", detail: { operation: request.notice } });
      return;
    }
    inbox?.record({ ...message, at: clock.now() });
    await audit.append({ ...event, outcome: "success", detail: { operation: request.notice } });
  }

  /** Deletes codes expired more than a minute ago (consumed or not: neither can be used any more). */
  async purgeExpired(): Promise<void> {
    await this.deps.db
      .deleteFrom("sms_codes")
      .where("expires_at", "<", this.deps.clock.now() - 60_000)
      .execute();
  }

  /** Voids every outstanding code of an account (its trusted number changed). */
  async invalidateAll(accountId: string, db: Kysely<DatabaseSchema> = this.deps.db): Promise<void> {
    await supersede(db, accountId, this.deps.clock.now());
  }
}

function macInput(accountId: string, purpose: SmsPurpose, phone: string, code: string): string {
  return `${accountId}|${purpose}|${phone}|${code}`;
}

/** Voids the account's outstanding codes, of every purpose. */
async function supersede(db: Kysely<DatabaseSchema>, accountId: string, now: number) {
  await db
    .updateTable("sms_codes")
    .set({ consumed_at: now })
    .where("account_id", "=", accountId)
    .where("consumed_at", "is", null)
    .execute();
}
