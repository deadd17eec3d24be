import { describeError } from "@pims/protocol";
import { Command } from "commander";

/** What an admin subcommand prints: JSON with `--json`, else readable lines. */
type Printer = (result: unknown, human: (result: never) => string) => void;

/** Raised for an answer the admin API refused; its message is what the operator reads. */
export class AdminError extends Error {
  override readonly name = "AdminError";
}

interface AdminOptions {
  url: string;
  key?: string;
  json?: boolean;
  tenant?: string;
}

const SCOPED: RunOptions = { tenant: true };

/** How a subcommand's call is made: `tenant`, it works on one tenant's data (`--tenant`). */
interface RunOptions {
  readonly tenant?: boolean;
}

/**
 * `pims admin …`: the admin API from the terminal. Talks to a running server (`--url`, default
 * PIMS_URL or http://127.0.0.1:8080) with an admin key (`--key` or PIMS_ADMIN_KEY): the operator's
 * (the server's PIMS_ADMIN_KEY), or a tenant admin key (`ptk_…`, its own tenant only). The account,
 * audit and relying-party commands work on the tenant `--tenant` (PIMS_TENANT) names, sent as the
 * API's `?tenant=` (decision 0028); the `tenant …` commands and the key rotations are the operator's.
 */
export function adminCommand(): Command {
  const admin = new Command("admin")
    .description("Administer a running Pims server through its admin API.")
    .option("-u, --url <url>", "server URL (PIMS_URL)", process.env.PIMS_URL ?? "http://127.0.0.1:8080")
    .option("-k, --key <key>", "admin key: the operator's, or a tenant's ptk_… (PIMS_ADMIN_KEY)")
    .option("--json", "print the API's JSON answer")
    .option(
      "-t, --tenant <id>",
      "tenant of the account, audit and rp commands (PIMS_TENANT); the operator's key: any (default: default), a tenant admin key: its own",
      process.env.PIMS_TENANT || undefined,
    )
    // Subcommands created from here inherit these (a `new Command` does not inherit the root's).
    .exitOverride()
    .showHelpAfterError();

  const run =
    (work: (call: Caller, print: Printer, ...args: string[]) => Promise<void>, how: RunOptions = {}) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals<AdminOptions>();
      if (options.tenant !== undefined && !how.tenant) {
        // Across tenants or about the tenants themselves: a filter would be silently ignored.
        command.error(`error: --tenant (or PIMS_TENANT) does not apply to \`${commandPath(command)}\``);
      }
      const key = options.key || process.env.PIMS_ADMIN_KEY;
      if (!key) throw new AdminError("an admin key is needed: --key or PIMS_ADMIN_KEY");
      const print: Printer = (result, human) => {
        process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : human(result as never)}\n`);
      };
      const scope = how.tenant ? options.tenant : undefined;
      await work(caller(options.url, key, scope), print, ...(args.slice(0, -2) as string[]));
    };

  admin
    .command("find")
    .description(
      "Find accounts by id, login, or trusted number: its last digits (3 or more), the masked form `find` prints, or the national form S3 returns.",
    )
    .argument("<query>")
    .action(
      run(async (call, print, query) => {
        print(
          await call("GET", `/v1/admin/accounts?query=${encodeURIComponent(query as string)}`),
          (r: { accounts: Account[] }) =>
            r.accounts.length === 0 ? "no account found" : r.accounts.map(accountLine).join("\n"),
        );
      }, SCOPED),
    );

  admin
    .command("show")
    .description("Show an account and its devices.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("GET", `/v1/admin/accounts/${encodeURIComponent(id as string)}`, undefined, {
            id: `no such account: ${id}`,
          }),
          (r: { account: Account; devices: Device[] }) =>
            [accountLine(r.account), ...r.devices.map(deviceLine)].join("\n"),
        );
      }, SCOPED),
    );

  admin
    .command("devices")
    .description("List the devices of an account.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("GET", `/v1/admin/accounts/${encodeURIComponent(id as string)}`, undefined, {
            id: `no such account: ${id}`,
          }),
          (r: { devices: Device[] }) => (r.devices.length === 0 ? "no device" : r.devices.map(deviceLine).join("\n")),
        );
      }, SCOPED),
    );

  admin
    .command("unblock")
    .description("Clear the wrong-PIN count of an account (unblocks it).")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("POST", `/v1/admin/accounts/${encodeURIComponent(id as string)}/unblock`, undefined, {
            id: `no such account: ${id}`,
          }),
          (r: { wasBlocked: boolean }) => (r.wasBlocked ? "unblocked" : "was not blocked; wrong-PIN count cleared"),
        );
      }, SCOPED),
    );

  admin
    .command("disable-device")
    .description("Disable a device: its next request gets 2312 and it forgets its key.")
    .argument("<deviceId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("POST", `/v1/admin/devices/${encodeURIComponent(id as string)}/disable`, undefined, {
            id: `no such device: ${id}`,
          }),
          (r: Device) => `${r.id} ${r.status}`,
        );
      }, SCOPED),
    );

  admin
    .command("audit")
    .description("Show the audit trail of an account, newest first.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("GET", `/v1/admin/accounts/${encodeURIComponent(id as string)}/audit`, undefined, {
            id: `no such account: ${id}`,
          }),
          (r: { events: AuditRow[] }) =>
            r.events
              .map((e) =>
                [
                  new Date(e.at).toISOString(),
                  e.event.padEnd(18),
                  e.outcome.padEnd(8),
                  e.device_id ?? "-",
                  e.client_address ?? "-",
                  e.detail ? JSON.stringify(e.detail) : "",
                ].join("  "),
              )
              .join("\n"),
        );
      }, SCOPED),
    );

  const rp = admin.command("rp").description("Relying-party API keys.");
  rp.command("create")
    .description("Create a relying party; prints its API key once.")
    .argument("<name>")
    .action(
      run(async (call, print, name) => {
        print(
          await call("POST", "/v1/admin/relying-parties", { name }),
          (r: { id: string; key: string }) => `${r.id}\nkey: ${r.key}\n(shown once: store it now)`,
        );
      }, SCOPED),
    );
  rp.command("list")
    .description("List relying parties.")
    .action(
      run(async (call, print) => {
        print(
          await call("GET", "/v1/admin/relying-parties"),
          (r: { relyingParties: RelyingPartyRow[] }) =>
            r.relyingParties.map((p) => `${p.id}  ${p.name}  ${p.revoked_at ? "revoked" : "active"}`).join("\n") ||
            "no relying party",
        );
      }, SCOPED),
    );
  rp.command("revoke")
    .description("Revoke a relying party's API key.")
    .argument("<id>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("POST", `/v1/admin/relying-parties/${encodeURIComponent(id as string)}/revoke`, undefined, {
            id: `no such relying party: ${id}`,
          }),
          () => "revoked",
        );
      }, SCOPED),
    );

  admin
    .command("rotate-secret")
    .description("Re-seal every PIN verifier under the server's current PIMS_SECRET_KEY (see docs/deployment.md).")
    .action(
      run(async (call, print) => {
        print(
          await call("POST", "/v1/admin/secret/rekey"),
          (r: { keyId: string; resealed: number; remainingUnderFormerKeys: number }) =>
            `key ${r.keyId}: ${r.resealed} verifiers re-sealed, ${r.remainingUnderFormerKeys} still under former keys`,
        );
      }),
    );

  admin
    .command("rotate-assertion-key")
    .description(
      "Make the next key sign step-up assertions and publish a new next one; the former key stays in /.well-known/jwks.json for the overlap (see docs/operating.md).",
    )
    .action(
      run(async (call, print) => {
        print(
          await call("POST", "/v1/admin/assertion-keys/rotate"),
          (r: { kid: string; next: string; retired: string | null; retiredPublishedForSeconds: number }) =>
            `signing key ${r.kid}, next ${r.next}${r.retired ? `; ${r.retired} stays published for ${r.retiredPublishedForSeconds} s` : ""}`,
        );
      }),
    );

  const tenant = admin
    .command("tenant")
    .description("Tenants, their apps and their administrator keys (the operator's key only).");
  const noTenant = (id: unknown) => ({ id: `no such tenant: ${id}` });
  tenant
    .command("list")
    .description("List the tenants and their apps.")
    .action(
      run(async (call, print) => {
        print(await call("GET", "/v1/admin/tenants"), (r: { tenants: TenantEntry[] }) =>
          r.tenants
            .flatMap((t) => [
              `${t.id}  ${t.name}  ${t.disabled ? "disabled" : "active"}  ${t.apps.length} app(s)`,
              ...t.apps.map((a) => `  ${a.clientId}  ${a.name}  ${a.disabled ? "disabled" : "active"}`),
            ])
            .join("\n"),
        );
      }),
    );
  tenant
    .command("create")
    .description("Create a tenant (its id: 1 to 32 of a-z 0-9 -, starting with a letter or a digit).")
    .argument("<id>")
    .argument("<name>")
    .action(
      run(async (call, print, id, name) => {
        print(
          await call(
            "POST",
            "/v1/admin/tenants",
            { id, name },
            {
              id: `cannot create tenant ${id}: the id is taken, or is not 1 to 32 of a-z 0-9 - starting with a letter or a digit`,
            },
          ),
          (r: TenantEntry) => `tenant ${r.id} (${r.name}) created`,
        );
      }),
    );
  for (const action of ["disable", "enable"] as const) {
    tenant
      .command(action)
      .description(
        action === "disable"
          ? "Disable a tenant: its apps' requests get 2006, its relying parties are refused."
          : "Enable a disabled tenant.",
      )
      .argument("<id>")
      .action(
        run(async (call, print, id) => {
          print(
            await call(
              "POST",
              `/v1/admin/tenants/${encodeURIComponent(id as string)}/${action}`,
              undefined,
              noTenant(id),
            ),
            (r: { id: string }) => `tenant ${r.id} ${action}d`,
          );
        }),
      );
  }

  const app = tenant.command("app").description("The apps of a tenant: each client id selects its tenant.");
  app
    .command("add")
    .description("Add an app (its client id: 8 to 128 of A-Z a-z 0-9 . _ -) to a tenant.")
    .argument("<tenant>")
    .argument("<clientId>")
    .argument("<name>")
    .action(
      run(async (call, print, tenantId, clientId, name) => {
        print(
          await call(
            "POST",
            `/v1/admin/tenants/${encodeURIComponent(tenantId as string)}/apps`,
            { clientId, name },
            {
              ...noTenant(tenantId),
              tenant: `no such tenant: ${tenantId}`,
              clientId: `cannot add app ${clientId}: the client id is taken, or is not 8 to 128 of A-Z a-z 0-9 . _ -`,
            },
          ),
          (r: AppEntry) => `app ${r.clientId} (${r.name}) added to tenant ${r.tenant}`,
        );
      }),
    );
  for (const action of ["disable", "enable"] as const) {
    app
      .command(action)
      .description(action === "disable" ? "Disable an app: its client id gets 2006." : "Enable a disabled app.")
      .argument("<clientId>")
      .action(
        run(async (call, print, clientId) => {
          print(
            await call("POST", `/v1/admin/apps/${encodeURIComponent(clientId as string)}/${action}`, undefined, {
              clientId: `no such app: ${clientId}`,
            }),
            (r: { clientId: string }) => `app ${r.clientId} ${action}d`,
          );
        }),
      );
  }

  const key = tenant
    .command("key")
    .description("Tenant admin keys: each administers one tenant's accounts and relying parties.");
  key
    .command("create")
    .description("Create an admin key for a tenant; prints it once.")
    .argument("<tenant>")
    .argument("<name>")
    .action(
      run(async (call, print, tenantId, name) => {
        print(
          await call(
            "POST",
            `/v1/admin/tenants/${encodeURIComponent(tenantId as string)}/admin-keys`,
            { name },
            {
              ...noTenant(tenantId),
              tenant: `no such tenant: ${tenantId}`,
            },
          ),
          (r: { id: string; tenant: string; key: string }) =>
            `${r.id}\nkey: ${r.key}\n(shown once: store it now; it administers tenant ${r.tenant} only)`,
        );
      }),
    );
  key
    .command("list")
    .description("List a tenant's admin keys (never the keys themselves).")
    .argument("<tenant>")
    .action(
      run(async (call, print, tenantId) => {
        print(
          await call(
            "GET",
            `/v1/admin/tenants/${encodeURIComponent(tenantId as string)}/admin-keys`,
            undefined,
            noTenant(tenantId),
          ),
          (r: { keys: AdminKeyEntry[] }) =>
            r.keys
              .map(
                (k) =>
                  `${k.id}  ${k.name}  created ${new Date(k.createdAt).toISOString()}  ${k.revokedAt === null ? "active" : `revoked ${new Date(k.revokedAt).toISOString()}`}`,
              )
              .join("\n") || "no admin key",
        );
      }),
    );
  key
    .command("revoke")
    .description("Revoke a tenant admin key.")
    .argument("<keyId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call("POST", `/v1/admin/admin-keys/${encodeURIComponent(id as string)}/revoke`, undefined, {
            id: `no such admin key in force: ${id}`,
          }),
          () => "revoked",
        );
      }),
    );

  return admin;
}

/**
 * `words`: what a 2102 on a parameter means, by the parameter's name, e.g. `{ id: "no such account:
 * acc_…" }`.
 */
type Caller = (
  method: "GET" | "POST",
  path: string,
  body?: object,
  words?: Readonly<Record<string, string>>,
) => Promise<unknown>;

/** `tenant`: added as `?tenant=` to every call (the account, audit and relying-party commands). */
function caller(url: string, key: string, tenant?: string): Caller {
  const tenantWords = {
    tenant: key.startsWith("ptk_")
      ? `a tenant admin key works on its own tenant only, and ${tenant} is not it`
      : `no such tenant: ${tenant}`,
  };
  return async (method, path, body, words) => {
    const target = new URL(path, url);
    if (tenant !== undefined) target.searchParams.set("tenant", tenant);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw new AdminError(`cannot reach Pims at ${url}`);
    }
    const answer = (await response.json().catch(() => undefined)) as
      | { status: "SUCCEEDED"; result: unknown }
      | { status: "FAILED"; error: { code: number; label: string } }
      | undefined;
    if (answer?.status === "SUCCEEDED") return answer.result;
    if (answer?.status === "FAILED") {
      throw new AdminError(explain(answer.error, response.status, url, { ...words, ...(tenant ? tenantWords : {}) }));
    }
    throw new AdminError(`unexpected answer from ${url} (HTTP ${response.status})`);
  };
}

/** The operator's words for an admin API refusal, the wire code and label kept after them. */
function explain(
  error: { code: number; label: string },
  status: number,
  url: string,
  words: Readonly<Record<string, string>>,
): string {
  const wire = `(code ${error.code}: ${error.label})`;
  if (error.code === 2301 && status === 403) {
    return `this needs the operator's key (the server's PIMS_ADMIN_KEY): a tenant admin key administers its tenant's accounts and relying parties only ${wire}`;
  }
  if (error.code === 2301) {
    return `admin key refused by ${url}: it is neither the server's PIMS_ADMIN_KEY nor a tenant admin key in force ${wire}`;
  }
  if (error.code === 2002 && status === 404) {
    return `no admin API at ${url}: the server has no PIMS_ADMIN_KEY set, or this is not Pims ${wire}`;
  }
  const parameter = error.code === 2102 ? /^Invalid (\w+) parameter$/.exec(error.label)?.[1] : undefined;
  const said = parameter === undefined ? undefined : words[parameter];
  if (said !== undefined) return `${said} ${wire}`;
  if (error.code === 2204) return `the server failed (database or Redis unreachable?); try again ${wire}`;
  // No words of our own for it: the catalogue's plain description beside the vendor's label.
  return `refused: ${describeError(error.code)} ${wire}`;
}

/** `admin tenant key list`, as the operator typed it (for a usage error). */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

interface Account {
  id: string;
  login: string;
  phone: string | null;
  hasPin: boolean;
  blocked: boolean;
  pinFailures: number;
  activeDevices: number;
}
interface Device {
  id: string;
  status: string;
  enrolled_at?: number | null;
}
interface AuditRow {
  at: number;
  event: string;
  outcome: string;
  device_id: string | null;
  client_address: string | null;
  detail: unknown;
}
interface RelyingPartyRow {
  id: string;
  name: string;
  revoked_at: number | null;
}

interface AppEntry {
  clientId: string;
  tenant: string;
  name: string;
  disabled: boolean;
}
interface TenantEntry {
  id: string;
  name: string;
  disabled: boolean;
  createdAt: number;
  apps: AppEntry[];
}
interface AdminKeyEntry {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

function accountLine(a: Account): string {
  const state = a.blocked ? "BLOCKED" : a.hasPin ? "pin set" : "no pin";
  return `${a.id}  ${a.login}  ${a.phone ?? "no number"}  ${state} (${a.pinFailures} wrong)  ${a.activeDevices} device(s)`;
}

function deviceLine(d: Device): string {
  return `  ${d.id}  ${d.status}${d.enrolled_at ? `  enrolled ${new Date(Number(d.enrolled_at)).toISOString()}` : ""}`;
}
