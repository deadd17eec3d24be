import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "../config/ConfigError.js";
import { loadConfig } from "../config/loadConfig.js";
import { AdminError, adminCommand } from "./adminCommand.js";

/** Exit codes of the `pims` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3 } as const;

/**
 * The `pims` command.
 *
 * @example
 * pims serve --port 8080
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name("pims")
    .description("Pims: open strong authentication (device, PIN, SMS codes, OTP step-up).")
    .version(serverVersion(), "-V, --version", "print the version of Pims")
    .exitOverride()
    .showHelpAfterError();

  let exitCode: number = EXIT.ok;

  program
    .command("serve")
    .description("Start the server (configuration from PIMS_* variables; flags override).")
    .option("-p, --port <port>", "port to listen on (PIMS_PORT, default 8080)", parsePort)
    .option("-H, --host <host>", "address to listen on (PIMS_HOST, default 127.0.0.1)")
    .option("-d, --database-url <url>", "sqlite:<path> or postgres://… (PIMS_DATABASE_URL)")
    .option("--data-dir <dir>", "folder for the SQLite file and the development key (PIMS_DATA_DIR)")
    .option("--production", "production mode: PIMS_SECRET_KEY required, no demo page, no SMS inbox")
    .option("--demo-brands", "declare the demo page's two brands (demo/tenants.yaml); development mode only")
    .action(async (options: ServeOptions) => {
      const config = loadConfig(
        process.env,
        {
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
          ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
          ...(options.production ? { mode: "production" as const } : {}),
        },
        { warn },
      );
      const tenants = options.demoBrands ? (await import("../config/demoTenants.js")).demoTenants(config) : undefined;
      // The server's modules load only for the commands that run it: `--help`, `admin` start in a fraction.
      const { startServer } = await import("../startServer.js");
      await startServer(config, tenants ? { tenants } : {});
      exitCode = -1;
    });

  program
    .command("migrate")
    .description("Apply pending database migrations and exit.")
    .option("-d, --database-url <url>", "sqlite:<path> or postgres://… (PIMS_DATABASE_URL)")
    .action(async (options: { databaseUrl?: string }) => {
      const config = loadConfig(process.env, options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}, { warn });
      const [{ openDatabase }, { migrate }] = await Promise.all([
        import("../db/openDatabase.js"),
        import("../db/migrate.js"),
      ]);
      const database = openDatabase(config.databaseUrl, config.databaseSchema ? { schema: config.databaseSchema } : {});
      try {
        const result = await migrate(
          database.db as never,
          database.engine === "postgres" ? config.databaseSchema : undefined,
        );
        const applied = result.results?.filter((r) => r.status === "Success").map((r) => r.migrationName) ?? [];
        process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
      } finally {
        await database.close();
      }
    });

  program.addCommand(adminCommand());

  program
    .command("demo")
    .description(
      "Run the whole journey (account, SMS, enrollment, OTP, PIN change and reset, removal) with the real SDK.",
    )
    .option("-u, --url <url>", "a running server in development mode (default: an embedded one)")
    .option("-k, --key <key>", "that server's admin key, for the relying-party step (PIMS_ADMIN_KEY)")
    .action(async (options: { url?: string; key?: string }) => {
      const adminKey = options.key ?? process.env.PIMS_ADMIN_KEY;
      const { runDemo } = await import("./runDemo.js");
      const ok = await runDemo({
        ...(options.url ? { url: options.url } : {}),
        ...(adminKey ? { adminKey } : {}),
        write: (text) => process.stdout.write(text),
      });
      exitCode = ok ? EXIT.ok : EXIT.failure;
    });

  program
    .command("secret")
    .description("Secret key tools.")
    .command("generate")
    .description("Print a new random secret key for PIMS_SECRET_KEY.")
    .action(() => {
      process.stdout.write(`${randomBytes(32).toString("base64url")}\n`);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    return exitCodeOf(error);
  }
  return exitCode;
}

/** A configuration warning (an unknown PIMS_* variable), on stderr before anything else. */
function warn(message: string): void {
  process.stderr.write(`pims: warning: ${message}\n`);
}

interface ServeOptions {
  port?: number;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  production?: boolean;
  demoBrands?: boolean;
}

/** The version of @pims/server, from its package.json (dist/cli/ → ../../package.json). */
function serverVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port > 65535) throw new InvalidArgumentError("a port is a number from 0 to 65535");
  return port;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof AdminError) {
    process.stderr.write(`pims admin: ${error.message}\n`);
    return error.message.startsWith("an admin key is needed") ? EXIT.usage : EXIT.failure;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(
      error.problems.length === 1
        ? `pims: configuration error: ${error.message}\n`
        : `pims: ${error.problems.length} configuration errors:\n${error.problems.map((p) => `  - ${p}\n`).join("")}`,
    );
    return EXIT.config;
  }
  process.stderr.write(`pims: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failure;
}
