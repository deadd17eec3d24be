import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/AuditLog.js";
import type { AuditEventOf } from "../audit/events.js";
import type { PinSettings } from "../config/Config.js";
import { PimsError } from "../core/PimsError.js";
import { byIds } from "../db/byIds.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { PinVerifiers } from "./PinVerifiers.js";

/** What a PIN attempt found. */
export type PinOutcome = "correct" | "wrong" | "blocked" | "noPin";

/** A PIN attempt's outcome, and what its reservation read of the account. */
export interface PinAttempt {
  readonly outcome: PinOutcome;
  /**
   * When the account's PIN was last recovered by SMS (`pin_recovered_at`, decision 0027), as the
   * reservation read it under the account's row lock; `null` when never, or when nothing was
   * reserved (blocked).
   */
  readonly recoveredAt: number | null;
}

/** Throws the error of an attempt that was not a correct PIN: 2308, 2310, or 2317 (no PIN). */
export function throwFor(outcome: PinOutcome): void {
  if (outcome === "blocked") throw new PimsError(2310);
  if (outcome === "wrong") throw new PimsError(2308);
  if (outcome === "noPin") throw new PimsError(2317);
}

export interface PinCheck {
  readonly accountId: string;
  readonly pin: string;
  readonly deviceId: string | null;
  readonly clientAddress: string;
  readonly operation: string;
}

/**
 * Checks PINs under the lockout (design property 2). Each check first reserves an attempt — one
 * atomic `UPDATE … SET pin_failures = pin_failures + 1 WHERE pin_failures < N` — and only then
 * compares; a correct PIN gives the count back to zero. However many checks race, on one process
 * or many, at most N wrong PINs are ever compared before the account is blocked (2310).
 */
export class PinGuard {
  // Compiled once (db/Prepared.ts): S15 reserves and resets on every call.
  readonly #reserve;
  readonly #reset;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly verifiers: PinVerifiers,
    private readonly audit: AuditLog,
    private readonly settings: PinSettings,
    /** Told, in the attempt's transaction, when a signed request's device proved the PIN. */
    private readonly onProof: (deviceId: string, db: Kysely<DatabaseSchema>) => Promise<void> = async () => undefined,
  ) {
    this.#reserve = prepare(
      db
        .updateTable("accounts")
        .set((eb) => ({ pin_failures: eb("pin_failures", "+", 1) }))
        .where("id", "=", param<string>("accountId"))
        .where("pin_failures", "<", param<number>("max"))
        // The recovery's time, read here rather than by a statement of its own (one round trip
        // fewer on PostgreSQL): a correct PIN's OTP tells whether the PIN rests on an SMS recovery.
        .returning(["pin_failures", "pin_recovered_at"]),
    );
    this.#reset = prepare(
      db.updateTable("accounts").set({ pin_failures: 0 }).where("id", "=", param<string>("accountId")),
      { deferrable: true },
    );
  }

  async isBlocked(accountId: string): Promise<boolean> {
    const failures = (await this.failuresOf([accountId])).get(accountId);
    return failures !== undefined && this.blocks(failures);
  }

  /** The blocking rule, in one place: this many consecutive wrong PINs block the account. */
  blocks(failures: number): boolean {
    return failures >= this.settings.maxFailures;
  }

  /** The consecutive wrong PINs of some accounts, by account id (unknown ids left out). */
  failuresOf(accountIds: readonly string[]): Promise<Map<string, number>> {
    return byIds(
      accountIds,
      (ids) => this.db.selectFrom("accounts").select(["id", "pin_failures"]).where("id", "in", ids).execute(),
      (row) => [row.id, Number(row.pin_failures)],
    );
  }

  /** Resolves when `pin` is the account's PIN; throws 2310 (blocked) or 2308 (wrong, counted). */
  async check(request: PinCheck): Promise<void> {
    throwFor((await this.attempt(request)).outcome);
  }

  /**
   * One PIN attempt, without throwing, so it can share a transaction with what a correct PIN
   * unlocks (S15 issues its OTP in the same commit): the count of a wrong attempt is part of what
   * commits, and the caller throws ({@link throwFor}) after the commit.
   */
  async attempt(request: PinCheck, db: Kysely<DatabaseSchema> = this.db): Promise<PinAttempt> {
    const reserved = await this.#reserve.first(db, {
      accountId: request.accountId,
      max: this.settings.maxFailures,
    });
    if (!reserved) {
      await this.#event(
        request,
        { event: "pin.check", outcome: "refused", detail: { operation: request.operation, reason: 2310 } },
        db,
      );
      return { outcome: "blocked", recoveredAt: null };
    }
    const recoveredAt = reserved.pin_recovered_at === null ? null : Number(reserved.pin_recovered_at);
    let matches: boolean | undefined;
    try {
      matches = await this.verifiers.matches(request.accountId, request.pin, db);
    } catch (error) {
      await this.#giveBack(request.accountId, db);
      throw error;
    }
    if (matches === undefined) {
      await this.#giveBack(request.accountId, db);
      return { outcome: "noPin", recoveredAt };
    }
    if (matches) {
      await this.reset(request.accountId, db);
      if (request.deviceId !== null) await this.onProof(request.deviceId, db);
      return { outcome: "correct", recoveredAt };
    }
    const failures = Number(reserved.pin_failures);
    const detail = { operation: request.operation, failures };
    await this.#event(request, { event: "pin.check", outcome: "failure", detail }, db);
    if (failures >= this.settings.maxFailures) {
      await this.#event(request, { event: "account.block", outcome: "success", detail }, db);
    }
    return { outcome: "wrong", recoveredAt };
  }

  /** Clears the count: a correct PIN, a reset by SMS, enrollments removed. */
  async reset(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await this.#reset.execute(db, { accountId });
  }

  async #giveBack(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db
      .updateTable("accounts")
      .set((eb) => ({ pin_failures: eb("pin_failures", "-", 1) }))
      .where("id", "=", accountId)
      .where("pin_failures", ">", 0)
      .execute();
  }

  /** Appends `event` of the request's account, device and address. */
  #event(request: PinCheck, event: PinEvent, db: Kysely<DatabaseSchema>) {
    const { accountId, deviceId, clientAddress } = request;
    return this.audit.append({ ...event, accountId, deviceId, clientAddress }, db);
  }
}

type PinEventName = "pin.check" | "account.block";

/** An event of the guard, before the request's account, device and address are added. */
type PinEvent = { [E in PinEventName]: Pick<AuditEventOf<E>, "event" | "outcome" | "detail"> }[PinEventName];
