import {
  AliasNode,
  BinaryOperationNode,
  ColumnNode,
  type Compilable,
  type CompiledQuery,
  type DeleteQueryNode,
  IdentifierNode,
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
  SelectAllNode,
  SelectionNode,
  SelectQueryNode,
  TableNode,
  type UnknownRow,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
} from "kysely";
import type { DatabaseSchema } from "./schema.js";

/**
 * The tenant, enforced by a Kysely plugin (decision 0028). Every query on a tenant-owned table gets
 * `<table or alias>.tenant_id = ?` (in WHERE for the tables it reads, updates or deletes, in ON for
 * the ones it joins, subqueries and common table expressions included) and its inserts get the
 * column, whether from values or from a select (itself scoped); a conflict target `(login_key)`
 * becomes `(tenant_id, login_key)`. What it cannot scope is refused: raw SQL naming a tenant table,
 * INSERT … SELECT *, a query that writes `tenant_id` itself, and any other statement
 * kind (MERGE, DDL) that names one. The process's own database carries the plugin with no tenant
 * and so refuses every query on those tables: an owner that was not built for a tenant cannot run.
 */

/** The deployment's own tables; every other one belongs to a tenant. */
export const DEPLOYMENT_TABLES = ["tenants", "apps", "tenant_admin_keys", "assertion_keys"] as const;

/** The tables that belong to one tenant (the architecture test checks: all but the deployment's). */
export const TENANT_TABLES: ReadonlySet<string> = new Set([
  "accounts",
  "sessions",
  "retired_refresh_tokens",
  "external_identities",
  "rate_limits",
  "audit_events",
  "trusted_phones",
  "sms_codes",
  "sms_cooldowns",
  "pin_verifiers",
  "devices",
  "request_nonces",
  "otps",
  "relying_parties",
]);

/** The tenant of a deployment without a tenants file, and of requests without a client id. */
export const DEFAULT_TENANT = "default";
/** Holds the deployment-wide counters (the SMS budget, numbers and addresses across brands); never served. */
export const DEPLOYMENT_TENANT = "_deployment";

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

/**
 * The tenant of the query being compiled, read by {@link compileWithTenant} right after a
 * synchronous `compile()`: a compiled statement (db/Prepared.ts) remembers the tenant its SQL
 * carries, and refuses to run for another.
 */
let lastCompiledTenant: string | undefined;

export class TenantScope implements KyselyPlugin {
  /**
   * Built at the first query compiled through the plugin: a scope made for a transaction whose
   * statements are all compiled already (db/Prepared.ts; the nonce store rescopes one on each
   * signed request) never compiles one.
   */
  #rewriter: Rewriter | undefined;

  /** `tenant` undefined: the database with no tenant, which refuses queries on tenant tables. */
  constructor(readonly tenant: string | undefined) {}

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    lastCompiledTenant = this.tenant;
    if (this.tenant !== undefined) this.#rewriter ??= new Rewriter(this.tenant);
    // MERGE, DDL and the like are not scoped: refused when they name a tenant table.
    if (this.#rewriter && SCOPED_KINDS.has(node.kind)) return this.#rewriter.transformNode(node);
    refuseIfTouches(node);
    return node;
  }

  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

/**
 * Compiles `query` and tells which tenant its SQL was scoped to (undefined: none, or a database
 * without the plugin).
 */
export function compileWithTenant<Row>(query: Compilable<Row>): {
  compiled: CompiledQuery<Row>;
  tenant: string | undefined;
} {
  lastCompiledTenant = undefined;
  const compiled = query.compile();
  const tenant = lastCompiledTenant;
  lastCompiledTenant = undefined;
  return { compiled, tenant };
}

/** The database as a tenant sees it: every query is scoped to `tenant`. */
export function forTenant(db: Kysely<DatabaseSchema>, tenant: string): Kysely<DatabaseSchema> {
  return withoutScope(db).withPlugin(new TenantScope(tenant));
}

/** The database with no tenant (the process's own): refuses queries on tenant-owned tables. */
export function withoutTenant(db: Kysely<DatabaseSchema>): Kysely<DatabaseSchema> {
  return withoutScope(db).withPlugin(new TenantScope(undefined));
}

/** A tenant table with its `tenant_id`, for the few queries that work across tenants. */
export type AcrossTenants = {
  [T in keyof DatabaseSchema]: T extends (typeof DEPLOYMENT_TABLES)[number]
    ? DatabaseSchema[T]
    : DatabaseSchema[T] & { tenant_id: string };
};

/**
 * The database across tenants, on purpose: finding a request's tenant (a relying party's key) and
 * the deployment's own work. Nothing is rewritten; `tenant_id` is typed. The architecture test
 * lists the files allowed to call it.
 */
export function acrossTenants(db: Kysely<DatabaseSchema>): Kysely<AcrossTenants> {
  return withoutScope(db) as unknown as Kysely<AcrossTenants>;
}

/** The tenant of a database (a tenant's database or its transaction); undefined for any other. */
export function tenantOf(db: Kysely<DatabaseSchema>): string | undefined {
  for (const plugin of db.getExecutor().plugins) if (plugin instanceof TenantScope) return plugin.tenant;
  return undefined;
}

function withoutScope<DB>(db: Kysely<DB>): Kysely<DB> {
  const others = db.getExecutor().plugins.filter((plugin) => !(plugin instanceof TenantScope));
  let out = db.withoutPlugins();
  for (const plugin of others) out = out.withPlugin(plugin);
  return out;
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
    const tenant = this.tenant;
    // Uniqueness is per tenant: a conflict target (login_key) becomes (tenant_id, login_key).
    const onConflict = out.onConflict?.columns
      ? { ...out.onConflict, columns: [ColumnNode.create("tenant_id"), ...out.onConflict.columns] }
      : out.onConflict;
    const columns = [...(out.columns ?? []), ColumnNode.create("tenant_id")];
    if (out.values && SelectQueryNode.is(out.values)) {
      // INSERT … SELECT (a consume and its audit in one statement, issue 14): the select was scoped
      // above like any other, so it reads this tenant's rows only, and each row it gives gets this
      // tenant as its last column. `select *` is refused: its columns are not known here, so the
      // tenant could not be matched to its column.
      const select = out.values;
      if (!out.columns || select.selections?.length !== out.columns.length)
        throw new UnscopedQuery("an insert … select into a tenant table must name its columns and select each");
      if (select.selections.some((selection) => SelectAllNode.is(selection.selection)))
        throw new UnscopedQuery("an insert … select * into a tenant table");
      const tenantColumn = SelectionNode.create(
        AliasNode.create(ValueNode.create(tenant), IdentifierNode.create("tenant_id")),
      );
      const values = { ...select, selections: [...select.selections, tenantColumn] };
      return { ...out, columns, values, onConflict };
    }
    if (!out.values || !ValuesNode.is(out.values))
      throw new UnscopedQuery("an insert into a tenant table not from values or a select");
    const values = ValuesNode.create(
      out.values.values.map((row) =>
        PrimitiveValueListNode.is(row)
          ? PrimitiveValueListNode.create([...row.values, tenant])
          : ValueListNode.create([...row.values, ValueNode.create(tenant)]),
      ),
    );
    return { ...out, columns, values, onConflict };
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
