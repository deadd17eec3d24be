import type { SessionTokens } from "@pims/protocol";
import { randomId } from "../crypto/random.js";
import { isUniqueViolation } from "../db/isUniqueViolation.js";
import type { OperationHandler } from "../http/OperationHandler.js";
import { PimsError } from "../http/PimsError.js";
import { addressKey } from "../ratelimit/addressKey.js";
import type { Services } from "../Services.js";
import { loginKey } from "./loginKey.js";

/** B1: a new built-in account (argon2id password hash), logged in. 2402 when the login is taken. */
export function createAccount(services: Services): OperationHandler {
  return async ({ params, clientAddress }): Promise<SessionTokens> => {
    const { counters, config, db, passwords, clock, audit, sessions } = services;
    const login = params.login as string;
    const key = loginKey(login);
    const created = await counters.hit(
      `accounts-created:address:${addressKey(clientAddress, config.ipv6PrefixLength)}`,
      config.login.windowSeconds * 1000,
    );
    if (created > config.login.maxAccountsPerAddress) {
      await audit.append({ event: "account.create", outcome: "refused", clientAddress, detail: { reason: 2383 } });
      throw new PimsError(2383);
    }
    const taken = await db.selectFrom("accounts").select("id").where("login_key", "=", key).executeTakeFirst();
    if (taken) throw new PimsError(2402);
    const passwordHash = await passwords.hash(params.password as string);
    const now = clock.now();
    const account = { id: randomId("acc", now), login };
    try {
      return await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("accounts")
          .values({ id: account.id, login, login_key: key, password_hash: passwordHash, created_at: now })
          .execute();
        await audit.append({ event: "account.create", outcome: "success", accountId: account.id, clientAddress }, trx);
        return sessions.open(account, trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new PimsError(2402);
      throw error;
    }
  };
}
