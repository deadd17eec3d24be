import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DEPLOYMENT_TABLES, TENANT_TABLES } from "../../../server/src/db/TenantScope.js";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";

/**
 * docs/architecture.md, held by the code: the allowed import directions between the packages and
 * between the server's folders, and one owning capability per table (and per added column).
 * A change that breaks the picture fails here, naming the file and the rule.
 */

const PACKAGES = join(REPOSITORY_ROOT, "packages");
const SERVER = join(PACKAGES, "server", "src");

function sourceFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Module specifiers a file imports or re-exports (static and dynamic), and whether only types. */
function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(import|export)\s(type\s)?[^;]*?from\s+"([^"]+)"/g)) {
    found.push({ specifier: match[3] ?? "", typeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g))
    found.push({ specifier: match[1] ?? "", typeOnly: false });
  return found;
}

/** A server file's folder under src/ ("(root)" for the files directly in src/). */
function folderOf(file: string): string {
  const parts = relative(SERVER, file).split("/");
  return parts.length === 1 ? "(root)" : (parts[0] ?? "");
}

/** What a server folder is, for the import rules. */
const LAYERS: Readonly<
  Record<string, "base" | "infrastructure" | "core" | "capability" | "composition" | "docs" | "http" | "cli">
> = {
  config: "base",
  log: "base",
  crypto: "infrastructure",
  db: "infrastructure",
  core: "core",
  accounts: "capability",
  admin: "capability",
  assertion: "capability",
  audit: "capability",
  device: "capability",
  enrollment: "capability",
  metrics: "capability",
  otp: "capability",
  phone: "capability",
  pin: "capability",
  ratelimit: "capability",
  redis: "capability",
  relyingParty: "capability",
  sms: "capability",
  tenants: "composition",
  docs: "docs",
  http: "http",
  cli: "cli",
};

/** What the files directly in src/ (the composition root) may import: every layer but the CLI. */
const ROOT_MAY_IMPORT = [
  "base",
  "infrastructure",
  "schema",
  "core",
  "capability",
  "composition",
  "docs",
  "http",
  "clock",
  "services",
  "root",
];

/** Which layers each layer may import (its own included). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  base: ["base", "clock"],
  infrastructure: ["base", "infrastructure", "schema", "clock"],
  core: ["core", "schema"],
  capability: ["base", "infrastructure", "schema", "core", "capability", "clock", "services"],
  // tenants/: builds each tenant's owners and handlers (and owns the deployment's tenant tables).
  composition: ["base", "infrastructure", "schema", "core", "capability", "clock", "services", "composition"],
  docs: ["docs"],
  http: ["base", "infrastructure", "schema", "core", "capability", "composition", "docs", "http", "clock", "services"],
  // The CLI may import all the root may, and itself.
  cli: [...ROOT_MAY_IMPORT, "cli"],
  root: ROOT_MAY_IMPORT,
};

/** The layer of an import target inside server/src. */
function layerOfTarget(target: string): string {
  const rel = relative(SERVER, target);
  if (rel === "Clock.ts") return "clock";
  if (rel === "Services.ts") return "services";
  if (rel === "db/schema.ts") return "schema";
  const folder = rel.split("/").length === 1 ? "(root)" : (rel.split("/")[0] ?? "");
  return folder === "(root)" ? "root" : (LAYERS[folder] ?? `unknown folder ${folder}`);
}

function layerOfFile(file: string): string {
  const folder = folderOf(file);
  if (folder === "(root)") return "root";
  const layer = LAYERS[folder];
  if (layer === undefined) throw new Error(`${relative(SERVER, file)}: folder ${folder} has no layer in this test`);
  return layer;
}

describe("import directions (docs/architecture.md)", () => {
  it("packages import downwards only: protocol nothing, the SDK and the relying-party kit only protocol", () => {
    const allowed: Readonly<Record<string, readonly string[]>> = {
      protocol: [],
      sdk: ["@pims/protocol"],
      "relying-party": ["@pims/protocol"],
      // The server's demo uses the kit; `pims demo` (cli/) drives the SDK as an app would.
      server: ["@pims/protocol", "@pims/relying-party", "@pims/sdk"],
    };
    const violations: string[] = [];
    for (const [name, may] of Object.entries(allowed)) {
      for (const file of sourceFiles(join(PACKAGES, name, "src"))) {
        for (const { specifier, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
          const pims = /^@pims\/[^/]+/.exec(specifier)?.[0];
          if (pims !== undefined && !may.includes(pims))
            violations.push(`${relative(PACKAGES, file)} imports ${specifier}`);
          const thirdParty = pims === undefined && !specifier.startsWith(".") && !specifier.startsWith("node:");
          // Protocol, the SDK and the kit have no run-time dependency (the kit's adapters may name
          // their framework's types).
          if (name !== "server" && thirdParty && !typeOnly) {
            violations.push(`${relative(PACKAGES, file)} depends on ${specifier} at run time`);
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("the SDK and the protocol's main entry never load the operations' prose (@pims/protocol/docs)", () => {
    // The descriptions would be in every app's bundle (issue 14: SDK bundle ≤ 12 kB).
    const violations: string[] = [];
    for (const file of sourceFiles(join(PACKAGES, "sdk", "src"))) {
      for (const { specifier } of importsOf(readFileSync(file, "utf8")))
        if (specifier.startsWith("@pims/protocol/docs"))
          violations.push(`${relative(PACKAGES, file)} imports ${specifier}`);
    }
    for (const file of sourceFiles(join(PACKAGES, "protocol", "src"))) {
      for (const { specifier } of importsOf(readFileSync(file, "utf8")))
        if (/(^|\/)docs\.js$/.test(specifier)) violations.push(`${relative(PACKAGES, file)} imports ${specifier}`);
    }
    expect(violations).toEqual([]);
  });

  it("in the server, each folder imports only the layers below it; nothing but http/ knows Fastify", () => {
    const violations: string[] = [];
    const files = sourceFiles(SERVER).filter((file) => !relative(SERVER, file).startsWith("db/migrations/"));
    for (const file of files) {
      const layer = layerOfFile(file);
      const text = readFileSync(file, "utf8");
      for (const { specifier } of importsOf(text)) {
        if (specifier === "fastify" && layer !== "http" && layer !== "root") {
          violations.push(`${relative(SERVER, file)} imports fastify (only http/ adapts HTTP)`);
        }
        if (!specifier.startsWith(".")) continue;
        const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
        const targetLayer = layerOfTarget(target);
        if (!(MAY_IMPORT[layer] ?? []).includes(targetLayer)) {
          violations.push(`${relative(SERVER, file)} (${layer}) imports ${relative(SERVER, target)} (${targetLayer})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("knows every folder of the server (a new folder gets its layer here and in docs/architecture.md)", () => {
    const folders = readdirSync(SERVER, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => LAYERS[folder] === undefined)).toEqual([]);
    const doc = readFileSync(join(REPOSITORY_ROOT, "docs", "architecture.md"), "utf8");
    for (const folder of folders) expect(doc, `docs/architecture.md names ${folder}/`).toContain(`\`${folder}/\``);
  });
});

/** Each table's owner, and the columns other capabilities add to a table (docs/architecture.md). */
const TABLE_OWNERS: Readonly<Record<string, string>> = {
  accounts: "accounts",
  sessions: "accounts",
  retired_refresh_tokens: "accounts",
  external_identities: "accounts",
  pin_verifiers: "pin",
  devices: "device",
  request_nonces: "device",
  trusted_phones: "phone",
  sms_codes: "sms",
  sms_cooldowns: "sms",
  otps: "otp",
  relying_parties: "relyingParty",
  assertion_keys: "assertion",
  audit_events: "audit",
  rate_limits: "ratelimit",
  tenants: "tenants",
  apps: "tenants",
  tenant_admin_keys: "tenants",
};
const COLUMN_OWNERS: Readonly<Record<string, { table: string; owner: string }>> = {
  pin_failures: { table: "accounts", owner: "pin" },
  active_devices: { table: "accounts", owner: "device" },
  pin_recovered_at: { table: "accounts", owner: "pin" },
};

/** The code of a file without its comments (which may name tables and columns freely). */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** Tables a file reads or writes: query-builder calls and table names in SQL text. */
function tablesOf(text: string, tables: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(
    /\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|table)\(\s*"(\w+)/g,
  )) {
    // A name that is not a table of the schema is a statement's own (a common table expression).
    if (tables.includes(match[1] ?? "")) found.add(match[1] ?? "");
  }
  const sqlText = [...text.matchAll(/sql(?:<[^>]*>)?`([^`]*)`/g)].map((m) => m[1] ?? "").join("\n");
  for (const table of tables) {
    if (new RegExp(`\\b(?:from|update|into|join)\\s+"?${table}\\b`, "i").test(sqlText)) found.add(table);
  }
  return found;
}

describe("one owner per table (docs/architecture.md)", () => {
  const schema = readFileSync(join(SERVER, "db", "schema.ts"), "utf8");
  const tables = [...schema.matchAll(/^\s{2}(\w+): \w+Table;$/gm)].map((m) => m[1] ?? "");
  const files = sourceFiles(SERVER).filter((file) => {
    const rel = relative(SERVER, file);
    return !rel.startsWith("db/migrations/") && rel !== "db/schema.ts";
  });

  it("names an owner for every table of the schema", () => {
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter((table) => TABLE_OWNERS[table] === undefined)).toEqual([]);
  });

  it("has every table read and written by its owner's folder only", () => {
    const violations: string[] = [];
    for (const file of files) {
      const folder = folderOf(file);
      for (const table of tablesOf(codeOf(readFileSync(file, "utf8")), tables)) {
        const columnOwners = Object.values(COLUMN_OWNERS)
          .filter((c) => c.table === table)
          .map((c) => c.owner);
        if (TABLE_OWNERS[table] !== folder && !columnOwners.includes(folder)) {
          violations.push(`${relative(SERVER, file)} uses ${table} (owner: ${TABLE_OWNERS[table]}/)`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("has each added column touched by its owner only", () => {
    const violations: string[] = [];
    for (const file of files) {
      const text = codeOf(readFileSync(file, "utf8"));
      for (const [column, { owner }] of Object.entries(COLUMN_OWNERS)) {
        if (new RegExp(`\\b${column}\\b`).test(text) && folderOf(file) !== owner) {
          violations.push(`${relative(SERVER, file)} uses ${column} (owner: ${owner}/)`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("scopes every table but the deployment's to a tenant (a new table is a tenant's unless named here)", () => {
    const deployment: readonly string[] = DEPLOYMENT_TABLES;
    expect([...TENANT_TABLES].sort()).toEqual(tables.filter((table) => !deployment.includes(table)).sort());
  });

  it("works across tenants only where it must: the relying party's key names its tenant", () => {
    // acrossTenants() rewrites nothing: each caller is a place a forgotten tenant would go unseen.
    const allowed = ["db/TenantScope.ts", "relyingParty/RelyingParties.ts"];
    const callers = files
      .filter((file) => /\bacrossTenants\(/.test(codeOf(readFileSync(file, "utf8"))))
      .map((file) => relative(SERVER, file));
    expect(callers.sort()).toEqual(allowed.sort());
  });

  it("keeps handlers and routes off the database: they call the owning capability", () => {
    const handlerFiles = files.filter(
      (file) => /Handlers\.ts$|\/http\//.test(file) || /createAccount|login\.ts/.test(file),
    );
    expect(handlerFiles.length).toBeGreaterThan(10);
    const violations = handlerFiles.filter((file) =>
      /services\.db\b|\bdb\.(selectFrom|insertInto|updateTable|deleteFrom|transaction)\b/.test(
        codeOf(readFileSync(file, "utf8")),
      ),
    );
    expect(violations.map((file) => relative(SERVER, file))).toEqual([]);
  });
});
