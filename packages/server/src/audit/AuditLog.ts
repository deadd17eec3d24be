import type { Kysely } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { AuditEvent } from "./events.js";

/**
 * Rows of the append-only audit log (design property 8). Never a secret in an event. What an event
 * may be named, end in and carry is the catalogue's (audit/events.ts): anything else does not compile.
 */
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
