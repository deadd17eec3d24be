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
}

/**
 * `pims admin …`: the admin API from the terminal. Talks to a running server (`--url`, default
 * PIMS_URL or http://127.0.0.1:8080) with the admin key (`--key` or PIMS_ADMIN_KEY).
 */
export function adminCommand(): Command {
  const admin = new Command("admin")
    .description("Administer a running Pims server through its admin API.")
    .option("-u, --url <url>", "server URL (PIMS_URL)", process.env.PIMS_URL ?? "http://127.0.0.1:8080")
    .option("-k, --key <key>", "admin key (PIMS_ADMIN_KEY)")
    .option("--json", "print the API's JSON answer")
    // Subcommands created from here inherit these (a `new Command` does not inherit the root's).
    .exitOverride()
    .showHelpAfterError();

  const run =
    (work: (call: Caller, print: Printer, ...args: string[]) => Promise<void>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals<AdminOptions>();
      const key = options.key ?? process.env.PIMS_ADMIN_KEY;
      if (!key) throw new AdminError("an admin key is needed: --key or PIMS_ADMIN_KEY");
      const print: Printer = (result, human) => {
        process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : human(result as never)}\n`);
      };
      await work(caller(options.url, key), print, ...(args.slice(0, -2) as string[]));
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
      }),
    );

  admin
    .command("show")
    .description("Show an account and its devices.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "GET",
            `/v1/admin/accounts/${encodeURIComponent(id as string)}`,
            undefined,
            `no such account: ${id}`,
          ),
          (r: { account: Account; devices: Device[] }) =>
            [accountLine(r.account), ...r.devices.map(deviceLine)].join("\n"),
        );
      }),
    );

  admin
    .command("devices")
    .description("List the devices of an account.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "GET",
            `/v1/admin/accounts/${encodeURIComponent(id as string)}`,
            undefined,
            `no such account: ${id}`,
          ),
          (r: { devices: Device[] }) => (r.devices.length === 0 ? "no device" : r.devices.map(deviceLine).join("\n")),
        );
      }),
    );

  admin
    .command("unblock")
    .description("Clear the wrong-PIN count of an account (unblocks it).")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "POST",
            `/v1/admin/accounts/${encodeURIComponent(id as string)}/unblock`,
            undefined,
            `no such account: ${id}`,
          ),
          (r: { wasBlocked: boolean }) => (r.wasBlocked ? "unblocked" : "was not blocked; wrong-PIN count cleared"),
        );
      }),
    );

  admin
    .command("disable-device")
    .description("Disable a device: its next request gets 2312 and it forgets its key.")
    .argument("<deviceId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "POST",
            `/v1/admin/devices/${encodeURIComponent(id as string)}/disable`,
            undefined,
            `no such device: ${id}`,
          ),
          (r: Device) => `${r.id} ${r.status}`,
        );
      }),
    );

  admin
    .command("audit")
    .description("Show the audit trail of an account, newest first.")
    .argument("<accountId>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "GET",
            `/v1/admin/accounts/${encodeURIComponent(id as string)}/audit`,
            undefined,
            `no such account: ${id}`,
          ),
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
      }),
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
      }),
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
      }),
    );
  rp.command("revoke")
    .description("Revoke a relying party's API key.")
    .argument("<id>")
    .action(
      run(async (call, print, id) => {
        print(
          await call(
            "POST",
            `/v1/admin/relying-parties/${encodeURIComponent(id as string)}/revoke`,
            undefined,
            `no such relying party: ${id}`,
          ),
          () => "revoked",
        );
      }),
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

  return admin;
}

/** `notFound`: what a 2102 on the path's id means, e.g. "no such account: acc_…". */
type Caller = (method: "GET" | "POST", path: string, body?: object, notFound?: string) => Promise<unknown>;

function caller(url: string, key: string): Caller {
  return async (method, path, body, notFound) => {
    let response: Response;
    try {
      response = await fetch(new URL(path, url), {
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
    if (answer?.status === "FAILED") throw new AdminError(explain(answer.error, response.status, url, notFound));
    throw new AdminError(`unexpected answer from ${url} (HTTP ${response.status})`);
  };
}

/** The operator's words for an admin API refusal, the wire code and label kept after them. */
function explain(error: { code: number; label: string }, status: number, url: string, notFound?: string): string {
  const wire = `(code ${error.code}: ${error.label})`;
  if (error.code === 2301) return `admin key refused by ${url}: it is not the server's PIMS_ADMIN_KEY ${wire}`;
  if (error.code === 2002 && status === 404) {
    return `no admin API at ${url}: the server has no PIMS_ADMIN_KEY set, or this is not Pims ${wire}`;
  }
  if (error.code === 2102 && notFound !== undefined && error.label === "Invalid id parameter") {
    return `${notFound} ${wire}`;
  }
  if (error.code === 2204) return `the server failed (database or Redis unreachable?); try again ${wire}`;
  // No words of our own for it: the catalogue's plain description beside the vendor's label.
  return `refused: ${describeError(error.code)} ${wire}`;
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

function accountLine(a: Account): string {
  const state = a.blocked ? "BLOCKED" : a.hasPin ? "pin set" : "no pin";
  return `${a.id}  ${a.login}  ${a.phone ?? "no number"}  ${state} (${a.pinFailures} wrong)  ${a.activeDevices} device(s)`;
}

function deviceLine(d: Device): string {
  return `  ${d.id}  ${d.status}${d.enrolled_at ? `  enrolled ${new Date(Number(d.enrolled_at)).toISOString()}` : ""}`;
}
