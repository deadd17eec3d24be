import { type Expression, type Kysely, type QueryCreator, type RawBuilder, sql } from "kysely";
import type { Clock } from "../Clock.js";
import { randomId } from "../crypto/random.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import type { AuditEvent } from "./events.js";

/** The events appended in a transaction, by transaction, until it commits ({@link AuditLog.heldUntilCommit}). */
const held = new WeakMap<Kysely<DatabaseSchema>, AuditEvent[]>();

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
      // Nothing reads an append's result: in a PostgreSQL transaction it goes with the writes
      // around it (db/DeferredWrites.ts).
      { deferrable: true },
    );
  }

  /**
   * Runs `work` in a transaction opened by `begin` (the caller's: Kysely's, or a shared commit) and
   * tells the observer of the events it appended on its `trx` only once `begin` has resolved, that
   * is once the transaction has committed; a transaction that fails tells nothing. The metrics then
   * count what was kept, not what was asked: a rolled-back transaction, or on PostgreSQL a kept
   * write that fails at the commit (db/DeferredWrites.ts), counts nothing. The events are held from
   * the start of `work`, so works that share one `trx` one after another each hold their own.
   */
  async heldUntilCommit<T>(
    begin: (work: (trx: Kysely<DatabaseSchema>) => Promise<T>) => Promise<T>,
    work: (trx: Kysely<DatabaseSchema>) => Promise<T>,
  ): Promise<T> {
    const events: AuditEvent[] = [];
    const value = await begin((trx) => {
      held.set(trx, events);
      return work(trx);
    });
    for (const event of events) this.observe(event);
    return value;
  }

  /** Appends one event; `db` may be a transaction so the event commits with what it records. */
  async append(event: AuditEvent, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    const at = this.clock.now();
    await this.#insert.execute(db, {
      id: AuditLog.newId(at),
      at,
      event: event.event,
      outcome: event.outcome,
      accountId: event.accountId ?? null,
      deviceId: event.deviceId ?? null,
      clientAddress: event.clientAddress ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    const holding = held.get(db);
    if (holding) holding.push(event);
    else this.observe(event);
  }

  /**
   * An append as an insert … select, for a composed statement on PostgreSQL (the verification's
   * consume and its audit in one statement, issue 14): one row of `event` for each row of `source`
   * (a common table expression of the same statement; none, none written), which gives the row's
   * device and detail ({@link detailText}), and its id ({@link newId}), time, account and client
   * address. Tell {@link appended} once it wrote.
   */
  static insertFrom(
    db: QueryCreator<DatabaseSchema>,
    source: string,
    event: Pick<AuditEvent, "event" | "outcome">,
    row: (column: (name: string) => Expression<string | null>) => {
      id: Expression<string | null>;
      at: Expression<string | null>;
      accountId: Expression<string | null>;
      clientAddress: Expression<string | null>;
      deviceId: Expression<string | null>;
      detail: Expression<string | null>;
    },
  ) {
    const column = (name: string) => sql<string | null>`${sql.ref(`${source}.${name}`)}`;
    const { id, at, accountId, clientAddress, deviceId, detail } = row(column);
    return db
      .insertInto("audit_events")
      .columns(["id", "at", "event", "outcome", "account_id", "device_id", "client_address", "detail"])
      .expression(
        (db as unknown as QueryCreator<Record<string, Record<string, never>>>)
          .selectFrom(source)
          .select([
            sql<string>`${id}`.as("id"),
            sql<number>`${at}`.as("at"),
            sql<string>`${event.event}`.as("event"),
            sql<string>`${event.outcome}`.as("outcome"),
            sql<string>`${accountId}`.as("account_id"),
            sql<string | null>`${deviceId}`.as("device_id"),
            sql<string | null>`${clientAddress}`.as("client_address"),
            sql<string | null>`${detail}`.as("detail"),
          ]),
      );
  }

  /** A new event's id, for {@link insertFrom}'s `auditId`. */
  static newId(at: number): string {
    return randomId("evt", at);
  }

  /** Tells the observer of an event a composed statement wrote ({@link insertFrom}). */
  appended(event: AuditEvent): void {
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

/**
 * An event's `detail` as PostgreSQL writes it from values and columns, the same text as
 * `JSON.stringify` of the members in their order: a member whose value is null is left out.
 */
export function detailText(members: ReadonlyArray<readonly [string, Expression<string | null>]>): RawBuilder<string> {
  const parts = members.map(
    ([name, value]) =>
      sql<string | null>`${sql.lit(`${JSON.stringify(name)}:`)} || to_json(cast(${value} as text))::text`,
  );
  return sql<string>`'{' || concat_ws(',', ${sql.join(parts)}) || '}'`;
}
