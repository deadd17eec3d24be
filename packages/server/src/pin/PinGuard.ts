import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/AuditLog.js";
import type { PinSettings } from "../config/Config.js";
import type { DatabaseSchema } from "../db/schema.js";
import { PimsError } from "../http/PimsError.js";
import type { PinVerifiers } from "./PinVerifiers.js";

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
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly verifiers: PinVerifiers,
    private readonly audit: AuditLog,
    private readonly settings: PinSettings,
  ) {}

  async isBlocked(accountId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("accounts")
      .select("pin_failures")
      .where("id", "=", accountId)
      .executeTakeFirst();
    return row !== undefined && row.pin_failures >= this.settings.maxFailures;
  }

  /** Resolves when `pin` is the account's PIN; throws 2310 (blocked) or 2308 (wrong, counted). */
  async check(request: PinCheck): Promise<void> {
    const reserved = await this.db
      .updateTable("accounts")
      .set((eb) => ({ pin_failures: eb("pin_failures", "+", 1) }))
      .where("id", "=", request.accountId)
      .where("pin_failures", "<", this.settings.maxFailures)
      .returning("pin_failures")
      .executeTakeFirst();
    if (!reserved) {
      await this.#event(request, "pin.check", "refused", { reason: 2310 });
      throw new PimsError(2310);
    }
    const matches = await this.verifiers.matches(request.accountId, request.pin).catch(async (error: unknown) => {
      await this.#giveBack(request.accountId);
      throw error;
    });
    if (matches === undefined) {
      await this.#giveBack(request.accountId);
      throw new PimsError(2317);
    }
    if (matches) {
      await this.reset(request.accountId);
      return;
    }
    const failures = Number(reserved.pin_failures);
    await this.#event(request, "pin.check", "failure", { failures });
    if (failures >= this.settings.maxFailures) await this.#event(request, "account.block", "success", { failures });
    throw new PimsError(2308);
  }

  /** Clears the count: a correct PIN, a reset by SMS, enrollments removed. */
  async reset(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db.updateTable("accounts").set({ pin_failures: 0 }).where("id", "=", accountId).execute();
  }

  async #giveBack(accountId: string): Promise<void> {
    await this.db
      .updateTable("accounts")
      .set((eb) => ({ pin_failures: eb("pin_failures", "-", 1) }))
      .where("id", "=", accountId)
      .where("pin_failures", ">", 0)
      .execute();
  }

  #event(request: PinCheck, event: string, outcome: "success" | "failure" | "refused", detail: object) {
    return this.audit.append({
      event,
      outcome,
      accountId: request.accountId,
      deviceId: request.deviceId,
      clientAddress: request.clientAddress,
      detail: { operation: request.operation, ...detail },
    });
  }
}
