import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "@pims/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishedKids } from "../support/assertions.js";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { closedPortUrl } from "../support/rawServers.js";
import { ADMIN_KEY } from "../support/relyingParty.js";
import { REPOSITORY_ROOT, runInRepository } from "../support/spawnPims.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The `pims` command: each admin subcommand against a running server, bad arguments, help, demo.
 * Every test spawns real `pims` processes. The ones that leave the blocked, enrolled account as it is
 * run concurrently; the ones that change it or the server's keys (unblock, rotate-assertion-key,
 * disable-device) come last in "pims admin" and, being sequential tests, start only once all of
 * those have finished.
 */
let server: TestServer;
let account: { id: string; login: string; deviceId: string; phone: { national: string; e164: string } };

const pims = (...args: string[]) =>
  runInRepository("node", ["packages/server/bin/pims.js", ...args], { PIMS_ADMIN_KEY: "", PIMS_TENANT: "" });
const admin = (...args: string[]) => pims("admin", "--url", server.url, "--key", ADMIN_KEY, ...args);

beforeAll(async () => {
  server = await startTestServer({
    env: { PIMS_ADMIN_KEY: ADMIN_KEY },
    tenants: [{ id: "peugeot", name: "Peugeot", apps: [{ clientId: "peugeot-ios-0001", name: "Peugeot iOS" }] }],
  });
  const {
    pims: facade,
    login,
    store,
  } = await (async () => {
    const { memoryStore } = await import("@pims/sdk");
    const s = memoryStore();
    return { ...(await loggedInPims(server.url, s)), store: s };
  })();
  const { phone } = await enrollWithShortcut(server.url, facade, "62840571");
  for (let i = 0; i < 5; i++)
    await facade.get("pims.authentication.otp", { action: "withPIN", pinCode: `1010101${i}` });
  const session = (await store.get("pims.session")) as { accountId: string };
  const device = (await store.get(`pims.device.${session.accountId}`)) as { id: string };
  account = { id: session.accountId, login, deviceId: device.id, phone };
  expectSuccess(await facade.get("pims.authentication.account", { actionType: "strong", type: "isAccountBlocked" }));
});
afterAll(() => server.close());

describe("pims admin", () => {
  it.concurrent("find: by login, prints the account with its masked number and state", async ({ expect }) => {
    const result = await admin("find", account.login);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(account.id);
    expect(result.stdout).toContain("BLOCKED (5 wrong)");
    expect(result.stdout).toMatch(/\+336•+\d{3}/);
  });

  it.concurrent("find: by the number as S3 returns it, as find masks it, by its last digits, in E.164", async ({
    expect,
  }) => {
    const masked = /(\+336•+\d{3})/.exec((await admin("find", account.login)).stdout)?.[1] as string;
    expect(masked).toBe(`${account.phone.e164.slice(0, 4)}•••••${account.phone.e164.slice(-3)}`);
    const queries = [account.phone.national, masked, account.phone.e164.slice(-3), account.phone.e164];
    const results = await Promise.all(queries.map((query) => admin("find", query)));
    for (const [i, result] of results.entries()) {
      expect(result.code, queries[i]).toBe(0);
      expect(result.stdout, queries[i]).toContain(account.id);
    }
    const other = `${account.phone.national.slice(0, -1)}${(Number(account.phone.national.at(-1)) + 1) % 10}`;
    expect((await admin("find", other)).stdout).not.toContain(account.id);
  }, 90_000);

  it.concurrent("find: a login with LIKE wildcards (_ %) matches itself only, on either engine", async ({ expect }) => {
    const { createPims, memoryStore } = await import("@pims/sdk");
    const other = createPims();
    expectSuccess(await other.initialize({ serverUrl: server.url, store: memoryStore() }));
    const login = `under_score%${Date.now().toString(36)}@example.com`;
    expectSuccess(
      await other.set("pims.authentication.user", { action: "createAccount", login, password: "wildcard password" }),
    );
    const [found, wildcard] = await Promise.all([admin("find", login), admin("find", login.replace("_", "x"))]);
    expect(found.stdout).toContain(login);
    expect(wildcard.stdout.trim()).toBe("no account found");
  }, 60_000);

  it.concurrent("show and devices: the account and its device", async ({ expect }) => {
    const shown = await admin("show", account.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${account.deviceId}  active`);
    const devices = await admin("--json", "devices", account.id);
    expect(JSON.parse(devices.stdout).devices).toEqual([
      expect.objectContaining({ id: account.deviceId, status: "active" }),
    ]);
  });

  it.concurrent("audit: the trail, newest first, without secrets", async ({ expect }) => {
    const result = await admin("audit", account.id);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("account.block");
    expect(result.stdout).toContain("device.enroll");
    expect(result.stdout).not.toContain("62840571");
  });

  it.concurrent("rp create, list, revoke", async ({ expect }) => {
    const created = await admin("--json", "rp", "create", "payments");
    expect(created.code).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key).toMatch(/^prk_/);
    expect((await admin("rp", "list")).stdout).toContain(`${id}  payments  active`);
    expect((await admin("rp", "revoke", id)).code).toBe(0);
    expect((await admin("rp", "list")).stdout).toContain(`${id}  payments  revoked`);
  });

  it.concurrent("rotate-secret: reports what it re-sealed", async ({ expect }) => {
    const result = await admin("rotate-secret");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^key [0-9a-f]{16}: 0 verifiers re-sealed, 0 still under former keys/);
  });

  it.concurrent("refuses without an admin key (exit 2), with a wrong one (exit 1), or an unknown id (exit 1), saying so", async ({
    expect,
  }) => {
    const noKey = await pims("admin", "--url", server.url, "find", "x");
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("an admin key is needed");
    const wrong = await pims("admin", "--url", server.url, "--key", "not-the-admin-key-0123456789abcdef", "find", "x");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `pims admin: admin key refused by ${server.url}: it is neither the server's PIMS_ADMIN_KEY nor a tenant admin key in force (code 2301: Need Basic Authentication (to get CVS token))\n`,
    );
    const cases = [
      [["show", "acc_nope"], "no such account: acc_nope"],
      [["audit", "acc_nope"], "no such account: acc_nope"],
      [["unblock", "acc_nope"], "no such account: acc_nope"],
      [["disable-device", "dev_nope"], "no such device: dev_nope"],
      [["rp", "revoke", "rp_nope"], "no such relying party: rp_nope"],
    ] as const;
    const answers = await Promise.all(cases.map(([args]) => admin(...args)));
    for (const [i, unknown] of answers.entries()) {
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(`pims admin: ${cases[i]?.[1]} (code 2102: Invalid id parameter)\n`);
    }
  }, 90_000);

  it.concurrent("says when the server has no admin API (no PIMS_ADMIN_KEY there)", async ({ expect }) => {
    const bare = await startTestServer();
    try {
      const result = await pims("admin", "--url", bare.url, "--key", ADMIN_KEY, "find", "x");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`no admin API at ${bare.url}: the server has no PIMS_ADMIN_KEY set`);
    } finally {
      await bare.close();
    }
  });

  it.concurrent("says when the server cannot be reached (exit 1), or the argument is missing (exit 2)", async ({
    expect,
  }) => {
    const down = await pims("admin", "--url", await closedPortUrl(), "--key", ADMIN_KEY, "find", "x");
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot reach Pims");
    const missing = await admin("find");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument");
  });

  it.concurrent("tenant list: the declared tenant with its app, and the default one", async ({ expect }) => {
    const listed = await admin("tenant", "list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("default  Default  active  0 app(s)\n");
    expect(listed.stdout).toContain("peugeot  Peugeot  active  1 app(s)\n  peugeot-ios-0001  Peugeot iOS  active\n");
    const { tenants } = JSON.parse((await admin("--json", "tenant", "list")).stdout) as { tenants: { id: string }[] };
    expect(tenants.map((t) => t.id)).toEqual(expect.arrayContaining(["default", "peugeot"]));
    expect(tenants.find((t) => t.id === "peugeot")).toMatchObject({
      name: "Peugeot",
      disabled: false,
      apps: [{ clientId: "peugeot-ios-0001", tenant: "peugeot", name: "Peugeot iOS", disabled: false }],
    });
  });

  it.concurrent("tenant create, app add, disable, enable: the app's client id is refused (2006) while either is disabled", async ({
    expect,
  }) => {
    const client = async (clientId: string) => {
      const response = await fetch(new URL("/v1/client", server.url), { headers: { "pims-client-id": clientId } });
      return (await response.json()) as {
        status: string;
        result?: { tenant: { id: string } };
        error?: { code: number };
      };
    };
    expect(await client("opel-android-0001")).toMatchObject({ status: "FAILED", error: { code: 2006 } });
    expect(await admin("tenant", "create", "opel", "Opel")).toMatchObject({
      code: 0,
      stdout: "tenant opel (Opel) created\n",
    });
    const added = await admin("tenant", "app", "add", "opel", "opel-android-0001", "Opel Android");
    expect(added).toMatchObject({ code: 0, stdout: "app opel-android-0001 (Opel Android) added to tenant opel\n" });
    expect(await client("opel-android-0001")).toMatchObject({
      status: "SUCCEEDED",
      result: { tenant: { id: "opel" } },
    });

    expect(await admin("tenant", "disable", "opel")).toMatchObject({ code: 0, stdout: "tenant opel disabled\n" });
    expect((await admin("tenant", "list")).stdout).toContain("opel  Opel  disabled  1 app(s)");
    expect(await client("opel-android-0001")).toMatchObject({ status: "FAILED", error: { code: 2006 } });
    expect(await admin("tenant", "enable", "opel")).toMatchObject({ code: 0, stdout: "tenant opel enabled\n" });
    expect(await client("opel-android-0001")).toMatchObject({ status: "SUCCEEDED" });

    expect(await admin("tenant", "app", "disable", "opel-android-0001")).toMatchObject({
      code: 0,
      stdout: "app opel-android-0001 disabled\n",
    });
    expect(await client("opel-android-0001")).toMatchObject({ status: "FAILED", error: { code: 2006 } });
    expect(await admin("--json", "tenant", "app", "enable", "opel-android-0001")).toMatchObject({ code: 0 });
    expect(await client("opel-android-0001")).toMatchObject({
      status: "SUCCEEDED",
      result: { tenant: { id: "opel" } },
    });
    // A peugeot app is untouched by all of it.
    expect(await client("peugeot-ios-0001")).toMatchObject({
      status: "SUCCEEDED",
      result: { tenant: { id: "peugeot" } },
    });
  }, 90_000);

  it.concurrent("tenant commands refuse a taken id, an unknown tenant, app or key, in the operator's words", async ({
    expect,
  }) => {
    const cases = [
      [
        ["tenant", "create", "peugeot", "Again"],
        "cannot create tenant peugeot: the id is taken, or is not 1 to 32 of a-z 0-9 - starting with a letter or a digit (code 2102: Invalid id parameter)",
      ],
      [["tenant", "disable", "nope"], "no such tenant: nope (code 2102: Invalid id parameter)"],
      [
        ["tenant", "app", "add", "peugeot", "peugeot-ios-0001", "Twice"],
        "cannot add app peugeot-ios-0001: the client id is taken, or is not 8 to 128 of A-Z a-z 0-9 . _ - (code 2102: Invalid clientId parameter)",
      ],
      [
        ["tenant", "app", "enable", "nope-0000-app"],
        "no such app: nope-0000-app (code 2102: Invalid clientId parameter)",
      ],
      [["tenant", "key", "create", "nope", "x"], "no such tenant: nope (code 2102: Invalid id parameter)"],
      [
        ["tenant", "key", "revoke", "tak_nope"],
        "no such admin key in force: tak_nope (code 2102: Invalid id parameter)",
      ],
      [["--tenant", "nope", "find", "x"], "no such tenant: nope (code 2102: Invalid tenant parameter)"],
    ] as const;
    const answers = await Promise.all(cases.map(([args]) => admin(...args)));
    for (const [i, answer] of answers.entries()) {
      expect(answer.code, cases[i]?.[0].join(" ")).toBe(1);
      expect(answer.stderr).toBe(`pims admin: ${cases[i]?.[1]}\n`);
    }
    // A tenant filter on a command that has none is a usage error, not silently ignored.
    const misplaced = await admin("--tenant", "peugeot", "tenant", "list");
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("--tenant (or PIMS_TENANT) does not apply to `pims admin tenant list`");
  }, 90_000);

  it.concurrent("tenant key: shown once, finds its tenant's accounts and audit trail, nothing of another tenant's; revoked, refused", async ({
    expect,
  }) => {
    // Attack: a brand's support desk, holding its tenant's admin key, reads another brand's accounts or manages the tenants.
    const { createPims, memoryStore } = await import("@pims/sdk");
    const brand = createPims();
    expectSuccess(
      await brand.initialize({
        serverUrl: server.url,
        store: memoryStore(),
        credential: { clientId: "peugeot-ios-0001" },
      }),
    );
    const login = `peugeot-${Date.now().toString(36)}@example.com`;
    expectSuccess(
      await brand.set("pims.authentication.user", { action: "createAccount", login, password: "a peugeot password" }),
    );

    const created = await admin("tenant", "key", "create", "peugeot", "support desk");
    expect(created.code).toBe(0);
    const match =
      /^(tak_\S+)\nkey: (ptk_\S+)\n\(shown once: store it now; it administers tenant peugeot only\)\n$/.exec(
        created.stdout,
      );
    expect(match, created.stdout).not.toBeNull();
    const [, keyId, key] = match as unknown as [string, string, string];
    const listed = await admin("tenant", "key", "list", "peugeot");
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}  support desk  created \\S+Z  active$`, "m"));
    expect(listed.stdout).not.toContain(key);
    const asTenant = (...args: string[]) => pims("admin", "--url", server.url, "--key", key, ...args);

    // The operator finds it in peugeot only; the tenant's key finds it with or without naming its tenant.
    const [operatorDefault, operatorPeugeot, own, ownNamed] = await Promise.all([
      admin("find", login),
      admin("--json", "--tenant", "peugeot", "find", login),
      asTenant("find", login),
      asTenant("--tenant", "peugeot", "find", login),
    ]);
    expect(operatorDefault.stdout.trim()).toBe("no account found");
    const [found] = (JSON.parse(operatorPeugeot.stdout) as { accounts: { id: string; login: string }[] }).accounts;
    expect(found?.login).toBe(login);
    expect(own).toMatchObject({ code: 0 });
    expect(own.stdout).toContain(`${found?.id}  ${login}`);
    expect(ownNamed.stdout).toContain(`${found?.id}  ${login}`);

    // The trail is the tenant's: shown in peugeot, unknown in the default tenant.
    const id = found?.id as string;
    const [trail, ownTrail, elsewhere] = await Promise.all([
      admin("--tenant", "peugeot", "audit", id),
      asTenant("audit", id),
      admin("audit", id),
    ]);
    expect(trail.stdout).toContain("account.create");
    expect(ownTrail.stdout).toContain("account.create");
    expect(elsewhere).toMatchObject({
      code: 1,
      stderr: `pims admin: no such account: ${id} (code 2102: Invalid id parameter)\n`,
    });

    // A peugeot key that names the default tenant (an attempt to read another brand's accounts) is refused.
    const other = await asTenant("--tenant", "default", "find", account.login);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      "pims admin: a tenant admin key works on its own tenant only, and default is not it (code 2102: Invalid tenant parameter)\n",
    );
    expect(other.stdout).toBe("");
    // A tenant's key managing the tenants themselves (an attempt to escalate to the operator) is refused.
    const escalate = await asTenant("tenant", "key", "create", "peugeot", "mine");
    expect(escalate.code).toBe(1);
    expect(escalate.stderr).toBe(
      "pims admin: this needs the operator's key (the server's PIMS_ADMIN_KEY): a tenant admin key administers its tenant's accounts and relying parties only (code 2301: Need Basic Authentication (to get CVS token))\n",
    );

    expect(await admin("tenant", "key", "revoke", keyId)).toMatchObject({ code: 0, stdout: "revoked\n" });
    expect((await admin("tenant", "key", "list", "peugeot")).stdout).toMatch(
      new RegExp(`^${keyId}  support desk  created \\S+Z  revoked \\S+Z$`, "m"),
    );
    const revoked = await asTenant("find", login);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain("admin key refused by");
    for (const result of [other, escalate, revoked]) expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  }, 90_000);

  it.concurrent("rp create --tenant: the relying party is the tenant's; PIMS_TENANT does the same", async ({
    expect,
  }) => {
    const created = await admin("--tenant", "peugeot", "--json", "rp", "create", "peugeot payments");
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const [inPeugeot, inDefault, byEnv] = await Promise.all([
      admin("--tenant", "peugeot", "rp", "list"),
      admin("rp", "list"),
      runInRepository(
        "node",
        ["packages/server/bin/pims.js", "admin", "--url", server.url, "--key", ADMIN_KEY, "rp", "list"],
        {
          PIMS_ADMIN_KEY: "",
          PIMS_TENANT: "peugeot",
        },
      ),
    ]);
    expect(inPeugeot.stdout).toContain(`${id}  peugeot payments  active`);
    expect(inDefault.stdout).not.toContain(id);
    expect(byEnv.stdout).toContain(`${id}  peugeot payments  active`);
    // Revoked in its tenant; the default tenant does not know it.
    expect((await admin("rp", "revoke", id)).stderr).toContain(`no such relying party: ${id}`);
    expect(await admin("--tenant", "peugeot", "rp", "revoke", id)).toMatchObject({ code: 0 });
    expect((await admin("--tenant", "peugeot", "rp", "list")).stdout).toContain(`${id}  peugeot payments  revoked`);
  }, 60_000);

  // The ones that change the account or the keys, in order, once every concurrent test above is done.
  it("unblock: the account can use its PIN again", async () => {
    const result = await admin("unblock", account.id);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.trim()).toBe("unblocked");
    expect((await admin("find", account.id)).stdout).toContain("pin set (0 wrong)");
  });

  it("rotate-assertion-key: the next key signs, a new next is published, the former one stays for the overlap", async () => {
    const [active, next] = await publishedKids(server.url);
    const result = await admin("rotate-assertion-key");
    expect(result.code).toBe(0);
    const kid = "([A-Za-z0-9_-]{43})";
    const match = new RegExp(`^signing key ${kid}, next ${kid}; ${kid} stays published for 480 s\n$`).exec(
      result.stdout,
    );
    expect(match, result.stdout).not.toBeNull();
    expect([match?.[1], match?.[3]]).toEqual([next, active]);
    expect(await publishedKids(server.url)).toEqual([next, match?.[2], active]);
  });

  it("disable-device: the device is disabled", async () => {
    const result = await admin("disable-device", account.deviceId);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`${account.deviceId} disabled`);
  });
});

// The three below run side by side (consecutive concurrent suites), after "pims admin".
describe.concurrent("pims --version", () => {
  it("prints the version of @pims/server", async ({ expect }) => {
    const { version } = JSON.parse(await readFile(join(REPOSITORY_ROOT, "packages/server/package.json"), "utf8"));
    const flags = ["--version", "-V"];
    const results = await Promise.all(flags.map((flag) => pims(flag)));
    for (const [i, result] of results.entries()) {
      expect(result, flags[i]).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });
});

describe.concurrent("--help on every command", () => {
  it.for([
    "--help",
    "serve --help",
    "migrate --help",
    "demo --help",
    "admin --help",
    "admin find --help",
    "admin rp --help",
    "admin tenant --help",
    "admin tenant app add --help",
    "admin tenant key --help",
    "secret generate --help",
  ])("pims %s", async (line, { expect }) => {
    const result = await pims(...line.split(" "));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: pims");
  });
});

describe.concurrent("pims demo", () => {
  it("runs the whole journey on an embedded server", async ({ expect }) => {
    const result = await pims("demo");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("All 16 steps answered as expected.");
    expect(result.stdout).not.toContain("✗");
  }, 60_000);

  it("runs against a running development server, and fails clearly against one that is not", async ({ expect }) => {
    const [result, down] = await Promise.all([
      pims("demo", "--url", server.url, "--key", ADMIN_KEY),
      closedPortUrl().then((url) => pims("demo", "--url", url)),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("a relying party verifies the OTP");
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("✓  1. initialize the SDK");
    expect(down.stdout).toMatch(/✗ {2}2\. create account .*\n.*"code":2202/);
    // Beside the vendor's label, the catalogue's plain words.
    expect(down.stdout).toContain("(2202: ");
    expect(down.stdout).toContain(describeError(2202));
  }, 60_000);
});
