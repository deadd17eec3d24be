import { type Kysely, type QueryCreator, sql } from "kysely";
import { Accounts } from "../accounts/Accounts.js";
import { AuditLog, detailText } from "../audit/AuditLog.js";
import { param, prepare } from "../db/Prepared.js";
import type { DatabaseSchema } from "../db/schema.js";
import { type Binding, type ConsumedOtp, type ConsumeRequest, Otps } from "../otp/Otps.js";

/** At most this many verifications in one statement (a turn's beyond it start another). */
export const MAX_BATCH = 64;

/** A valid OTP consumed by the statement, with its account's login. */
export type Consumed = ConsumedOtp & { readonly login: string };

interface Pending {
  /** Its row of the statement's input: the consume's values, its audit row's id and address. */
  readonly values: ReturnType<Otps["consumeArguments"]>["args"] & {
    readonly auditId: string;
    readonly clientAddress: string;
  };
  readonly resolve: (consumed: Consumed | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/** The verifications of one binding waiting for the end of the turn, one per account. */
interface Turn {
  pending: Pending[];
  accounts: Set<string>;
}

/** The input columns of the statement, one array parameter each (PostgreSQL's `unnest`). */
const INPUT = [
  ["accountId", "text"],
  ["mac", "text"],
  ["contextHash", "text"],
  ["transactionDigest", "text"],
  ["now", "bigint"],
  ["relyingPartyId", "text"],
  ["auditId", "text"],
  ["clientAddress", "text"],
] as const;

/**
 * The valid verifications of one tenant and binding that arrive in one turn of the event loop,
 * consumed by one PostgreSQL statement (issue 14, decision 0031): the accounts locked (each only if
 * free, as decision 0029's single statement did), their OTPs consumed, one `success` audit row each,
 * all in the statement's transaction — one round trip, one commit and one WAL flush for the turn's
 * verifications instead of one each. Each caller learns its own outcome: its OTP consumed, with its
 * own audit row, or nothing written for it (its account's lock held, a wrong, spent or expired OTP),
 * and it then goes the way a failure goes. A turn's second verification of an account runs alone:
 * one row per account in a statement. If the statement fails, each of its verifications is tried
 * again alone, so no caller's input can fail another's.
 */
export class ConsumeBatch {
  readonly #turns: Partial<Record<Binding, Turn>> = {};
  readonly #statements: Partial<Record<Binding, ReturnType<typeof batchStatement>>> = {};

  constructor(
    private readonly otps: Otps,
    private readonly db: Kysely<DatabaseSchema>,
  ) {}

  /** Consumes `request`'s OTP with the others of this turn; `undefined` when it consumed nothing. */
  consume(request: ConsumeRequest, clientAddress: string): Promise<Consumed | undefined> {
    const { binding, args } = this.otps.consumeArguments(request);
    return new Promise((resolve, reject) => {
      const pending = { values: { ...args, auditId: AuditLog.newId(args.now), clientAddress }, resolve, reject };
      this.#turns[binding] ??= { pending: [], accounts: new Set() };
      const turn = this.#turns[binding];
      if (turn.accounts.has(args.accountId)) {
        this.#run(binding, [pending]);
        return;
      }
      if (turn.pending.length === 0) setImmediate(() => this.#flush(binding));
      turn.pending.push(pending);
      turn.accounts.add(args.accountId);
      if (turn.pending.length >= MAX_BATCH) this.#flush(binding);
    });
  }

  #flush(binding: Binding): void {
    const turn = this.#turns[binding];
    if (!turn || turn.pending.length === 0) return;
    this.#turns[binding] = { pending: [], accounts: new Set() };
    this.#run(binding, turn.pending);
  }

  #run(binding: Binding, batch: readonly Pending[]): void {
    this.#statements[binding] ??= batchStatement(this.db, binding);
    const statement = this.#statements[binding];
    const args: Record<string, unknown> = { maxWrongGuesses: batch[0]?.values.maxWrongGuesses };
    for (const [name] of INPUT) args[name] = batch.map((pending) => pending.values[name]);
    statement.execute(this.db, args).then(
      ({ rows }) => {
        const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
        for (const [i, pending] of batch.entries()) {
          const row = byIndex.get(i + 1);
          pending.resolve(row && { ...Otps.consumed(row), login: row.login });
        }
      },
      (error: unknown) => {
        if (batch.length === 1) batch[0]?.reject(error);
        else for (const pending of batch) this.#run(binding, [pending]);
      },
    );
  }
}

/**
 * The statement: the input as rows (`unnest` of one array per column, numbered from 1), the
 * accounts locked if free, the consume joined with its input row, the audit rows, and, for each
 * consumed OTP, its input's number and its account's login.
 */
function batchStatement(db: Kysely<DatabaseSchema>, binding: Binding) {
  const arrays = sql.join(INPUT.map(([name, type]) => sql`${param<unknown>(name)}::${sql.raw(type)}[]`));
  const columns = sql.join([...INPUT.map(([name]) => sql.id(name)), sql.id("i")]);
  const named = sql.join([...INPUT.map(([name]) => sql.ref(`u.${name}`)), sql.ref("u.i")]);
  const qc = (creator: unknown) => creator as QueryCreator<DatabaseSchema>;
  const principalIds = sql<string>`(select ${sql.ref("principal.id")} from ${sql.table("principal")})`;
  return prepare(
    db
      .with("input", () => sql`(select ${named} from unnest(${arrays}) with ordinality as u(${columns}))`)
      // Each account's lock only if it is free: waiting on it would leave the statement reading what
      // the holder changed as it was before (the device check, in its snapshot). Held, no row,
      // nothing consumed for it: its transaction waits for the lock and reads afresh.
      .with("principal", (creator) =>
        Accounts.lockedRowsIfFree(qc(creator), sql<readonly string[]>`${param<unknown>("accountId")}::text[]`),
      )
      // Each OTP row only if it is free too, and only of the accounts locked above: the statement
      // never waits on a row lock, so no row's checks (its device) are read from before another
      // transaction's commit (red team 7).
      .with("free", (creator) => Otps.freeRows(qc(creator), "input").where("otps.account_id", "in", principalIds))
      .with("consumed", (creator) =>
        Otps.consumeQuery(qc(creator), binding, sql<string>`${sql.ref("input.accountId")}`, "input")
          .where("otps.id", "in", sql<string>`(select ${sql.ref("free.id")} from ${sql.table("free")})`)
          .returning([
            "otps.account_id",
            sql<number>`${sql.ref("input.i")}`.as("i"),
            sql<string>`${sql.ref("input.now")}`.as("now"),
            sql<string>`${sql.ref("input.relyingPartyId")}`.as("relying_party_id"),
            sql<string>`${sql.ref("input.auditId")}`.as("audit_id"),
            sql<string>`${sql.ref("input.clientAddress")}`.as("client_address"),
          ]),
      )
      .with(
        "logged",
        (creator) =>
          AuditLog.insertFrom(qc(creator), "consumed", { event: "otp.verify", outcome: "success" }, (column) => ({
            id: column("audit_id"),
            at: column("now"),
            accountId: column("account_id"),
            clientAddress: column("client_address"),
            deviceId: column("device_id"),
            detail: detailText([
              ["relyingParty", column("relying_party_id")],
              ["factors", column("factors")],
              ["transaction", column("transaction_digest")],
            ]),
          })).returning(sql<number>`1`.as("written")) as never,
      )
      .selectFrom("consumed")
      .innerJoin("principal", "principal.id", "consumed.account_id")
      .select([
        "consumed.i",
        "consumed.device_id",
        "consumed.factors",
        "consumed.issued_at",
        "consumed.methods",
        "consumed.transaction_digest",
        "consumed.transaction_canonical",
        "consumed.transaction_signature",
        "consumed.transaction_signed",
        "principal.login",
      ]),
  );
}
