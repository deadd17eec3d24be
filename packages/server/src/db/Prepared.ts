import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from "kysely";
import { registerDeferrable } from "./DeferredWrites.js";
import type { DatabaseSchema } from "./schema.js";
import { compileWithTenant, tenantOf, UnscopedQuery } from "./TenantScope.js";

const MARK = "\u0000pims-parameter:";

/**
 * A named parameter slot for a statement built with {@link prepare}: the builder sees a marker in
 * place of the value, and each execution binds the value given under that name.
 */
export function param<T>(name: string): T {
  return `${MARK}${name}` as T;
}

type Slot = { readonly name: string } | { readonly value: unknown };

/** SQL text of each prepared statement → the name PostgreSQL keeps it under (see below). */
const names = new Map<string, string>();
/** Every SQL text compiled by {@link prepare}, for `bench/explain.mjs`. */
const texts = new Set<string>();

/** The SQL texts of the statements compiled so far (the hot statements), for query plans. */
export function preparedSql(): readonly string[] {
  return [...texts];
}

/**
 * The name under which a PostgreSQL connection keeps a statement parsed and planned, for the SQL
 * texts of {@link Prepared} statements: parsing and planning each execution anew was PostgreSQL's
 * share of a verification. Not for `select *` (a column added by a migration while the process
 * runs would fail a kept statement with "cached plan must not change result type").
 */
export function statementName(sql: string): string | undefined {
  return names.get(sql);
}

/**
 * A statement built and compiled by Kysely once, executed with parameters: building a query's
 * tree and compiling it to SQL took 60–80 µs per statement, the larger part of a verification's
 * time (bench profile, issue 14). Executed through Kysely's executor, so `db` may be a
 * transaction and the statement runs in it; the SQL text is the one Kysely compiles, so it is the
 * same statement on SQLite and PostgreSQL as before (and better-sqlite3 keeps it prepared).
 */
export class Prepared<Row, Args extends Record<string, unknown> = Record<string, unknown>> {
  readonly #sql: string;
  readonly #query: CompiledQuery["query"];
  readonly #slots: readonly Slot[];
  /** The tenant the SQL was scoped to when compiled (its value is a fixed parameter). */
  readonly #tenant: string | undefined;

  constructor(query: Compilable<Row>, options: PrepareOptions = {}) {
    const { compiled, tenant } = compileWithTenant(query);
    if (options.deferrable) registerDeferrable(compiled.sql);
    this.#tenant = tenant;
    this.#sql = compiled.sql;
    texts.add(compiled.sql);
    if (!names.has(compiled.sql) && !/select \*|\.\*/.test(compiled.sql))
      names.set(compiled.sql, `pims_${names.size + 1}`);
    this.#query = compiled.query;
    this.#slots = compiled.parameters.map((value) =>
      typeof value === "string" && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { value },
    );
  }

  /** The SQL text Kysely compiled. */
  get compiledSql(): string {
    return this.#sql;
  }

  /**
   * Runs the statement on `db` (a transaction or the database) with `args`. A statement compiled
   * for one tenant refuses another tenant's database, where it would read the first one's rows.
   */
  execute(db: Kysely<DatabaseSchema>, args: Args): Promise<QueryResult<Row>> {
    if (this.#tenant !== undefined && tenantOf(db) !== this.#tenant)
      return Promise.reject(
        new UnscopedQuery(`a statement compiled for tenant ${this.#tenant} ran on another database`),
      );
    const parameters = this.#slots.map((slot) => ("name" in slot ? args[slot.name] : slot.value));
    return db.executeQuery<Row>({ sql: this.#sql, query: this.#query, parameters, queryId: createQueryId() });
  }

  /** The first row, or `undefined`. */
  async first(db: Kysely<DatabaseSchema>, args: Args): Promise<Row | undefined> {
    return (await this.execute(db, args)).rows[0];
  }
}

/**
 * Builds a {@link Prepared} statement; parameters are given with {@link param}.
 *
 * @example
 * const byId = prepare(db.selectFrom("accounts").select("login").where("id", "=", param<string>("id")));
 * const row = await byId.first(db, { id });
 */
export function prepare<Row>(query: Compilable<Row>, options?: PrepareOptions): Prepared<Row> {
  return new Prepared<Row>(query, options);
}

export interface PrepareOptions {
  /**
   * An insert or update whose caller reads nothing of its result, and handles none of its errors:
   * inside a PostgreSQL transaction it is sent together with the writes next to it, before the
   * transaction's next other statement (db/DeferredWrites.ts, decision 0032).
   */
  readonly deferrable?: boolean;
}
