import { ConfigError } from "../config/ConfigError.js";
import type { Keyring } from "../crypto/Keyring.js";
import type { PinVerifiers } from "./PinVerifiers.js";

/**
 * Refuses to start when the database holds PIN verifiers sealed under a key this process does not
 * have: a wrong `PIMS_SECRET_KEY` (a rotation rolled out to some processes only, a typo), or
 * `PIMS_SECRET_KEY_PREVIOUS` removed before `pims admin rotate-secret` re-sealed everything. Each
 * verifier stores the id of its key (a one-way digest of the key), so the check needs no secret
 * in the database. Without the check such a process starts and answers 2204 at the first PIN.
 * A database without any verifier has nothing to check against (docs/decisions/0019).
 */
export async function checkKeyring(verifiers: Pick<PinVerifiers, "countByKey">, keyring: Keyring): Promise<void> {
  const rows = await verifiers.countByKey();
  const missing = rows.filter((row) => !keyring.has(row.keyId));
  if (missing.length === 0) return;
  const held = keyring.ids.join(", ");
  const described = missing.map((row) => `${row.count} under key ${row.keyId}`).join(", ");
  throw new ConfigError(
    `PIMS_SECRET_KEY does not fit this database: it holds PIN verifiers this process cannot check (${described}); ` +
      `this process has key ${held}. Set the key the other processes use, or keep the former key in ` +
      "PIMS_SECRET_KEY_PREVIOUS until `pims admin rotate-secret` reports 0 still under former keys",
  );
}
