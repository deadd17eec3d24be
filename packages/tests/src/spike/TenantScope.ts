import {
  AliasNode,
  BinaryOperationNode,
  ColumnNode,
  type Compilable,
  type DeleteQueryNode,
  type InsertQueryNode,
  JoinNode,
  type Kysely,
  type KyselyPlugin,
  type OperationNode,
  OperationNodeTransformer,
  OperatorNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimitiveValueListNode,
  QueryNode,
  type QueryResult,
  type RawNode,
  ReferenceNode,
  type RootOperationNode,
  type SelectQueryNode,
  TableNode,
  type UnknownRow,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
} from "kysely";
import { type Prepared, param, prepare } from "../../../server/src/db/Prepared.js";
import type { DatabaseSchema } from "../../../server/src/db/schema.js";

/**
 * SPIKE (issue 16, decision 0028 proposed; not merged): the tenant enforced by a Kysely plugin.
 * Every query on a tenant-owned table gets `<table>.tenant_id = ?` (in WHERE for the tables it
 * reads, updates or deletes, in ON for the ones it joins) and its inserts get the column; a query
 * it cannot scope — raw SQL naming a tenant table, INSERT … SELECT, a caller writing `tenant_id`
 * itself — is refused. A database without a tenant refuses every query on those tables.
 */

/** The tables that belong to one tenant; the prototype scopes only `accounts`. */
export const TENANT_TABLES: ReadonlySet<string> = new Set(["accounts"]);

const SCOPED_KINDS: ReadonlySet<string> = new Set([
  "SelectQueryNode",
  "InsertQueryNode",
  "UpdateQueryNode",
  "DeleteQueryNode",
  "RawNode",
]);

/** Thrown when a query would touch a tenant-owned table without its tenant. */
export class UnscopedQuery extends Error {
  override readonly name = "UnscopedQuery";
}

/** "slot": compiled once for {@link Prepared}, the tenant bound at each execution. */
type Mode = { readonly tenant: string } | "slot" | "none";

export class TenantScope implements KyselyPlugin {
  readonly #rewriter: Rewriter | undefined;

  constructor(readonly mode: Mode) {
    this.#rewriter =
      mode === "none" ? undefined : new Rewriter(mode === "slot" ? param<string>("tenant") : mode.tenant);
  }

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    // MERGE, DDL and the like are not scoped: refused when they name a tenant table.
    if (this.#rewriter && SCOPED_KINDS.has(node.kind)) return this.#rewriter.transformNode(node);
    refuseIfTouches(node);
    return node;
  }

  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

/** The database as a tenant sees it: every query is scoped to `tenant`. */
export function forTenant(db: Kysely<DatabaseSchema>, tenant: string): Kysely<DatabaseSchema> {
  return db.withoutPlugins().withPlugin(new TenantScope({ tenant }));
}

/** The database for building compiled statements: the tenant is a slot bound when they run. */
export function withTenantSlot(db: Kysely<DatabaseSchema>): Kysely<DatabaseSchema> {
  return db.withoutPlugins().withPlugin(new TenantScope("slot"));
}

/** The database with no tenant (the process's own): refuses queries on tenant-owned tables. */
export function withoutTenant(db: Kysely<DatabaseSchema>): Kysely<DatabaseSchema> {
  return db.withoutPlugins().withPlugin(new TenantScope("none"));
}

/**
 * Runs a compiled statement with the tenant of `db` (a tenant's database or its transaction) bound
 * to the statement's `tenant` slot; refuses a database without one. In production this would be
 * `Prepared.execute` itself (the slot bound from the executor's plugin, one lookup per run).
 */
export function executeScoped<Row>(
  statement: Prepared<Row>,
  db: Kysely<DatabaseSchema>,
  args: Record<string, unknown>,
) {
  const scope = db.getExecutor().plugins.find((plugin): plugin is TenantScope => plugin instanceof TenantScope);
  if (!scope || typeof scope.mode !== "object") throw new UnscopedQuery("a compiled statement ran without a tenant");
  return statement.execute(db, { ...args, tenant: scope.mode.tenant });
}

/** The tenant of a database (a tenant's database or its transaction); undefined for any other. */
export function tenantOf(db: Kysely<DatabaseSchema>): string | undefined {
  const scope = db.getExecutor().plugins.find((plugin): plugin is TenantScope => plugin instanceof TenantScope);
  return scope && typeof scope.mode === "object" ? scope.mode.tenant : undefined;
}

/**
 * A statement compiled on a tenant's database (the owners of one tenant, built once per tenant):
 * the tenant is a fixed parameter of the compiled statement, its SQL text the same for every
 * tenant. Refuses to run on another tenant's database, where it would read the first one's rows.
 */
export function prepareForTenant<Row>(
  db: Kysely<DatabaseSchema>,
  build: (db: Kysely<DatabaseSchema>) => Compilable<Row>,
) {
  const tenant = tenantOf(db);
  if (tenant === undefined) throw new UnscopedQuery("a compiled statement without a tenant");
  const statement = prepare(build(db));
  return {
    compiledSql: statement.compiledSql,
    first(on: Kysely<DatabaseSchema>, args: Record<string, unknown>): Promise<Row | undefined> {
      if (tenantOf(on) !== tenant) throw new UnscopedQuery(`a statement of ${tenant} ran on another database`);
      return statement.first(on, args);
    },
  };
}

function isTenantTable(node: OperationNode | undefined): node is TableNode {
  return node !== undefined && TableNode.is(node) && TENANT_TABLES.has(node.table.identifier.name);
}

/** The table a FROM/JOIN item names, and the name its columns are referred to by (its alias). */
function source(item: OperationNode): { table: TableNode; ref: TableNode } | undefined {
  if (AliasNode.is(item) && isTenantTable(item.node) && "name" in item.alias)
    return { table: item.node, ref: TableNode.create(String(item.alias.name)) };
  if (isTenantTable(item)) return { table: item, ref: item };
  return undefined;
}

const RAW_TENANT_TABLE = new RegExp(`\\b(from|join|update|into)\\s+"?(${[...TENANT_TABLES].join("|")})\\b`, "i");

/** Throws if `node` reads or writes a tenant table: names one as a table (not in a column reference), or in raw SQL. */
function refuseIfTouches(node: OperationNode): void {
  new (class extends OperationNodeTransformer {
    protected override transformTable(table: TableNode): TableNode {
      if (isTenantTable(table)) throw new UnscopedQuery(`a query on ${table.table.identifier.name} without a tenant`);
      return table;
    }
    protected override transformReference(reference: ReferenceNode): ReferenceNode {
      return reference;
    }
    protected override transformRaw(raw: RawNode): RawNode {
      if (RAW_TENANT_TABLE.test(raw.sqlFragments.join("?"))) throw new UnscopedQuery("raw SQL on a tenant table");
      return super.transformRaw(raw);
    }
  })().transformNode(node);
}

class Rewriter extends OperationNodeTransformer {
  constructor(private readonly tenant: string) {
    super();
  }

  #predicate(ref: TableNode): OperationNode {
    return BinaryOperationNode.create(
      ReferenceNode.create(ColumnNode.create("tenant_id"), ref),
      OperatorNode.create("="),
      ValueNode.create(this.tenant),
    );
  }

  #scope<T extends SelectQueryNode | UpdateQueryNode | DeleteQueryNode>(node: T, items: readonly OperationNode[]): T {
    let scoped = node;
    for (const item of items) {
      const found = source(item);
      if (found) scoped = QueryNode.cloneWithWhere(scoped, this.#predicate(found.ref));
    }
    if (!node.joins) return scoped;
    const joins = node.joins.map((join) => {
      const found = source(join.table);
      return found ? JoinNode.cloneWithOn(join, this.#predicate(found.ref)) : join;
    });
    return { ...scoped, joins };
  }

  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const out = super.transformSelectQuery(node);
    return this.#scope(out, out.from?.froms ?? []);
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    const out = super.transformUpdateQuery(node);
    this.#refuseOwnColumn(out.updates?.map((update) => update.column));
    return this.#scope(out, [...(out.table ? [out.table] : []), ...(out.from?.froms ?? [])]);
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    const out = super.transformDeleteQuery(node);
    return this.#scope(out, [...out.from.froms, ...(out.using?.tables ?? [])]);
  }

  protected override transformInsertQuery(node: InsertQueryNode): InsertQueryNode {
    const out = super.transformInsertQuery(node);
    if (!isTenantTable(out.into)) return out;
    this.#refuseOwnColumn(out.columns);
    if (!out.values || !ValuesNode.is(out.values))
      throw new UnscopedQuery("an insert into a tenant table not from values");
    const tenant = this.tenant;
    const values = ValuesNode.create(
      out.values.values.map((row) =>
        PrimitiveValueListNode.is(row)
          ? PrimitiveValueListNode.create([...row.values, tenant])
          : ValueListNode.create([...row.values, ValueNode.create(tenant)]),
      ),
    );
    // Uniqueness is per tenant: a conflict target (login_key) becomes (tenant_id, login_key).
    const onConflict = out.onConflict?.columns
      ? { ...out.onConflict, columns: [ColumnNode.create("tenant_id"), ...out.onConflict.columns] }
      : out.onConflict;
    return { ...out, columns: [...(out.columns ?? []), ColumnNode.create("tenant_id")], values, onConflict };
  }

  /** Raw SQL cannot be scoped: refused when it names a tenant table, as text or as `sql.table(…)`. */
  protected override transformRaw(raw: RawNode): RawNode {
    refuseIfTouches(raw);
    return super.transformRaw(raw);
  }

  #refuseOwnColumn(columns: readonly OperationNode[] | undefined): void {
    const names = (columns ?? []).map((column) =>
      ColumnNode.is(column)
        ? column.column.name
        : ReferenceNode.is(column)
          ? (column.column as ColumnNode).column?.name
          : "",
    );
    if (names.includes("tenant_id")) throw new UnscopedQuery("tenant_id is the scope's to write");
  }
}
