import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/Config.js";
import { Keyring } from "./Keyring.js";

/**
 * The keyring of this process. `PIMS_SECRET_KEY` when set; otherwise, in development only, the
 * key kept in `<dataDir>/secret.key`, generated (mode 0600) on the first start with a warning.
 * loadConfig already refused production without a key.
 */
export async function resolveSecretKey(config: Config, logger: Logger): Promise<Keyring> {
  if (config.secretKey !== undefined) return Keyring.fromSecrets(config.secretKey, config.previousSecretKeys);
  const path = join(config.dataDir, "secret.key");
  let encoded: string;
  try {
    encoded = (await readFile(path, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    encoded = randomBytes(32).toString("base64url");
    await writeFile(path, `${encoded}\n`, { mode: 0o600, flag: "wx" });
    logger.warn(
      { path },
      "generated a development secret key; in production set PIMS_SECRET_KEY (and keep it out of the database)",
    );
  }
  return Keyring.fromSecrets(encoded, config.previousSecretKeys);
}
