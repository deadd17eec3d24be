import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";

/** Non-secret facts an event may carry. Typed, so that nothing else slips in. */
export interface AuditDetail {
  readonly operation?: string;
  readonly reason?: number;
  readonly failures?: number;
  readonly country?: string;
  readonly factors?: string;
  readonly relyingParty?: string;
  readonly by?: string;
  /** Live OTPs that died with the change (device removed or disabled, PIN reset or changed). */
  readonly revokedOtps?: number;
  /** Devices an S12 removed. */
  readonly removedDevices?: number;
  /** How a phone change proved knowledge: `pinCode` in the request, or a recent PIN `proof`. */
  readonly proof?: string;
  /** Assertion keys a rotation activated and retired (public thumbprints). */
  readonly kid?: string;
  readonly retired?: string;
}

export interface AuditEvent {
  readonly event: string;
  readonly outcome: "success" | "failure" | "refused";
  readonly accountId?: string | null;
  readonly deviceId?: string | null;
  readonly clientAddress?: string | null;
  readonly detail?: AuditDetail;
}

/** Rows of the append-only audit log (design property 8). Never a secret in an event. */
export class AuditLog {
  /** Compiled once (db/Prepared.ts): every security operation appends. */
  readonly #insert;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    /** Told of each event appended (the metrics count security events here). */
    private readonly observe: (event: AuditEvent) => void = () => undefined,
  ) {
    this.#insert = prepare(
      db.insertInto("audit_events").values({
        id: param<string>("id"),
        at: param<number>("at"),
        event: param<string>("event"),
        outcome: param<string>("outcome"),
        account_id: param<string | null>("accountId"),
        device_id: param<string | null>("deviceId"),
        client_address: param<string | null>("clientAddress"),
        detail: param<string | null>("detail"),
      }),
    );
  }

  /** Appends one event; `db` may be a transaction so the event commits with what it records. */
  async append(event: AuditEvent, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    const at = this.clock.now();
    await this.#insert.execute(db, {
      id: randomId("evt", at),
      at,
      event: event.event,
      outcome: event.outcome,
      accountId: event.accountId ?? null,
      deviceId: event.deviceId ?? null,
      clientAddress: event.clientAddress ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    this.observe(event);
  }

  /** The latest events of an account, newest first (the admin API's audit trail). */
  ofAccount(accountId: string, limit: number) {
    return this.db
      .selectFrom("audit_events")
      .select(["id", "at", "event", "outcome", "device_id", "client_address", "detail"])
      .where("account_id", "=", accountId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }
}
