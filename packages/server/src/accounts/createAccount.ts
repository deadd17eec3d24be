import type { SessionTokens } from "@pims/protocol";
import type { OperationHandler } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { addressKey } from "../ratelimit/addressKey.js";
import type { Services } from "../Services.js";

/** B1: a new built-in account (argon2id password hash), logged in. 2402 when the login is taken. */
export function createAccount(
  services: Pick<
    Services,
    "accounts" | "deploymentCounters" | "config" | "passwords" | "audit" | "sessions" | "transaction"
  >,
): OperationHandler<"user.createAccount"> {
  const { accounts, deploymentCounters, config, passwords, audit, sessions, transaction } = services;
  return async ({ params, clientAddress }): Promise<SessionTokens> => {
    // Across brands: an address's sign-ups do not multiply with the number of tenants.
    const created = await deploymentCounters.hit(
      `accounts-created:address:${addressKey(clientAddress, config.ipv6PrefixLength)}`,
      config.login.windowSeconds * 1000,
    );
    if (created > config.login.maxAccountsPerAddress) {
      await audit.append({ event: "account.create", outcome: "refused", clientAddress, detail: { reason: 2383 } });
      throw new PimsError(2383);
    }
    // Checked before the (deliberately slow) hash; the insert below settles a race.
    if (await accounts.withLogin(params.login)) throw new PimsError(2402);
    const passwordHash = await passwords.hash(params.password);
    return transaction(async (trx) => {
      const account = await accounts.create(params.login, passwordHash, trx);
      if (!account) throw new PimsError(2402);
      await audit.append({ event: "account.create", outcome: "success", accountId: account.id, clientAddress }, trx);
      return sessions.open(account, trx);
    });
  };
}
