import type { ExpressionBuilder, Kysely, Selectable } from "kysely";
import type { Clock } from "../Clock.js";
import { PimsError } from "../core/PimsError.js";
import { byIds } from "../db/byIds.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema, DevicesTable } from "../db/schema.js";

export type DeviceRow = Selectable<DevicesTable>;

/**
 * Every column of a device row, named: a `select *` is not kept as a named statement on PostgreSQL
 * (db/Prepared.ts), and every signed request looks its device up. The record type makes a column
 * added to the table without being listed here a compile error.
 */
const DEVICE_COLUMNS = Object.keys({
  id: true,
  account_id: true,
  public_key: true,
  status: true,
  created_at: true,
  enrolled_at: true,
  removed_at: true,
  enrollment_validated_until: true,
  last_used_at: true,
  pin_proven_at: true,
} satisfies Record<keyof DevicesTable, true>) as (keyof DevicesTable)[];

/**
 * The condition "the device `deviceIdColumn` names is enrolled, active, and the account's
 * `accountIdColumn` names", for a statement of another capability that must check it atomically
 * (an OTP is consumed only while its device is active): the rule stays with the devices' owner.
 *
 * The account is named too, though an OTP's device is always its account's: with it, every index
 * of `devices` finds the row at once. Without it, PostgreSQL, its statistics taken while the table
 * was nearly empty, planned the check on `devices_account` (tenant, account, status) with the
 * account unbound and read ~1,900 index entries per verification (issue 14, third pass).
 */
export function deviceIsActive(deviceIdColumn: "otps.device_id", accountIdColumn: "otps.account_id") {
  // A builder subquery, not raw SQL: the tenant scope (db/TenantScope.ts) scopes it like any other.
  return (eb: ExpressionBuilder<DatabaseSchema, "otps">) =>
    eb.exists(
      eb
        .selectFrom("devices")
        .select("devices.id")
        .whereRef("devices.id", "=", deviceIdColumn)
        .whereRef("devices.account_id", "=", accountIdColumn)
        .where("devices.status", "=", "active"),
    );
}

/**
 * Devices of accounts: `pending` (S7 validated a code for it), `active` (enrolled), `removed`
 * (S12) or `disabled` (an administrator). The number of active devices per account is a counter
 * on the account changed by one atomic statement, so racing enrollments cannot exceed the maximum.
 */
export class Devices {
  // Compiled once (db/Prepared.ts): every signed request looks its device up; S15 records the proof.
  readonly #find;
  readonly #recordPinProof;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly maxPerAccount: number,
  ) {
    this.#find = prepare(db.selectFrom("devices").select(DEVICE_COLUMNS).where("id", "=", param<string>("id")));
    this.#recordPinProof = prepare(
      db
        .updateTable("devices")
        .set({ pin_proven_at: param<number>("now") })
        .where("id", "=", param<string>("id")),
      { deferrable: true },
    );
  }

  find(id: string, db: Kysely<DatabaseSchema> = this.db): Promise<DeviceRow | undefined> {
    return this.#find.first(db, { id });
  }

  /** The devices of an account, oldest first, as an administrator sees them (no key). */
  ofAccount(accountId: string) {
    return this.db
      .selectFrom("devices")
      .select(["id", "status", "created_at", "enrolled_at", "removed_at"])
      .where("account_id", "=", accountId)
      .orderBy("created_at")
      .execute();
  }

  /** How many active devices some accounts have, by account id (unknown ids left out). */
  activeCounts(accountIds: readonly string[]): Promise<Map<string, number>> {
    return byIds(
      accountIds,
      (ids) => this.db.selectFrom("accounts").select(["id", "active_devices"]).where("id", "in", ids).execute(),
      (row) => [row.id, Number(row.active_devices)],
    );
  }

  /** Records that this device validated an enrollment code (S7), until `until`. */
  async validate(accountId: string, id: string, publicKey: string, until: number): Promise<void> {
    const now = this.clock.now();
    await this.db
      .insertInto("devices")
      .values({
        id,
        account_id: accountId,
        public_key: publicKey,
        status: "pending",
        created_at: now,
        enrolled_at: null,
        removed_at: null,
        enrollment_validated_until: until,
        last_used_at: null,
      })
      .onConflict((conflict) =>
        conflict
          .column("id")
          .doUpdateSet({ enrollment_validated_until: until })
          .where("devices.account_id", "=", accountId),
      )
      .execute();
  }

  /** True when S7 validated a code for this device and its lifetime has not ended. */
  isValidated(device: DeviceRow | undefined): boolean {
    return (device?.enrollment_validated_until ?? 0) > this.clock.now();
  }

  /** Enrolls the device; 2317 beyond the maximum of active devices. Call inside a transaction. */
  async activate(accountId: string, id: string, publicKey: string, trx: Kysely<DatabaseSchema>): Promise<void> {
    const now = this.clock.now();
    const existing = await this.find(id, trx);
    if (existing?.status === "active") return;
    const counted = await trx
      .updateTable("accounts")
      .set((eb) => ({ active_devices: eb("active_devices", "+", 1) }))
      .where("id", "=", accountId)
      .where("active_devices", "<", this.maxPerAccount)
      .returning("active_devices")
      .executeTakeFirst();
    if (!counted) throw new PimsError(2317);
    const values = {
      status: "active" as const,
      enrolled_at: now,
      removed_at: null,
      enrollment_validated_until: null,
      pin_proven_at: null,
    };
    await trx
      .insertInto("devices")
      .values({ id, account_id: accountId, public_key: publicKey, created_at: now, last_used_at: null, ...values })
      .onConflict((conflict) => conflict.column("id").doUpdateSet(values))
      .execute();
  }

  /** Removes every device of the account (S12). Returns how many were pending or active. */
  async removeAll(accountId: string, trx: Kysely<DatabaseSchema>): Promise<number> {
    const result = await trx
      .updateTable("devices")
      .set({ status: "removed", removed_at: this.clock.now(), enrollment_validated_until: null, pin_proven_at: null })
      .where("account_id", "=", accountId)
      .where("status", "in", ["pending", "active"])
      .executeTakeFirst();
    await trx.updateTable("accounts").set({ active_devices: 0 }).where("id", "=", accountId).execute();
    return Number(result.numUpdatedRows);
  }

  /** Disables one device (an administrator): its next request gets 2312. Call inside a transaction. */
  async disable(id: string, trx: Kysely<DatabaseSchema>): Promise<DeviceRow | undefined> {
    const device = await this.find(id, trx);
    if (!device || device.status === "disabled" || device.status === "removed") return device;
    await trx
      .updateTable("devices")
      .set({ status: "disabled", removed_at: this.clock.now(), pin_proven_at: null })
      .where("id", "=", id)
      .execute();
    if (device.status === "active") {
      await trx
        .updateTable("accounts")
        .set((eb) => ({ active_devices: eb("active_devices", "-", 1) }))
        .where("id", "=", device.account_id)
        .where("active_devices", ">", 0)
        .execute();
    }
    return { ...device, status: "disabled" };
  }

  /**
   * Records that this device just proved the account PIN (a correct PIN in a signed request), so
   * that S9 may follow without asking for it again (docs/decisions/0009-phone-change-needs-knowledge.md).
   */
  async recordPinProof(id: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await this.#recordPinProof.execute(db, { id, now: this.clock.now() });
  }

  /** Forgets every recent PIN proof of the account's devices (the PIN they proved changed). */
  async forgetPinProofs(accountId: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db
      .updateTable("devices")
      .set({ pin_proven_at: null })
      .where("account_id", "=", accountId)
      .where("pin_proven_at", "is not", null)
      .execute();
  }

  /** True when this device proved the PIN within `windowMs` (S9 may then spend the proof). */
  hasPinProof(device: DeviceRow | undefined, windowMs: number): boolean {
    return windowMs > 0 && (device?.pin_proven_at ?? 0) > this.clock.now() - windowMs;
  }

  /**
   * Spends the device's recent PIN proof ({@link hasPinProof}, checked again in the statement): true, once, when the device proved the PIN within
   * `windowMs`; one atomic statement, so two racing S9 cannot both spend one proof.
   */
  async spendPinProof(id: string, windowMs: number, db: Kysely<DatabaseSchema> = this.db): Promise<boolean> {
    if (windowMs <= 0) return false;
    const spent = await db
      .updateTable("devices")
      .set({ pin_proven_at: null })
      .where("id", "=", id)
      .where("status", "=", "active")
      .where("pin_proven_at", ">", this.clock.now() - windowMs)
      .executeTakeFirst();
    return Number(spent.numUpdatedRows) === 1;
  }
}
