import type { SessionTokens } from "@pims/protocol";
import type { OperationHandler } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { sha256Hex } from "../crypto/random.js";
import { addressKey } from "../ratelimit/addressKey.js";
import type { Services } from "../Services.js";
import { loginKey } from "./loginKey.js";

/**
 * B2: login and password → session. Wrong credentials → 2401, the same answer and about the same
 * time whether or not the login exists. Attempts are reserved before the password is checked,
 * so concurrent guesses cannot exceed the limits: per login and per client address, 2383 beyond.
 */
export function login(
  services: Pick<
    Services,
    "accounts" | "counters" | "deploymentCounters" | "config" | "passwords" | "audit" | "sessions"
  >,
): OperationHandler<"user.login"> {
  const { accounts, counters, deploymentCounters, config, passwords, audit, sessions } = services;
  return async ({ params, clientAddress }): Promise<SessionTokens> => {
    const windowMs = config.login.windowSeconds * 1000;
    const key = loginKey(params.login);
    const addressCounter = `login-failures:address:${addressKey(clientAddress, config.ipv6PrefixLength)}`;
    const loginCounter = `login-failures:login:${sha256Hex(key)}`;
    const account = await accounts.withLogin(params.login);
    const refuse = async (): Promise<never> => {
      await audit.append({
        event: "login",
        outcome: "refused",
        accountId: account?.id ?? null,
        clientAddress,
        detail: { reason: 2383 },
      });
      throw new PimsError(2383);
    };
    // An address's failures count across brands; a login's within its brand (logins are per tenant).
    if ((await deploymentCounters.hit(addressCounter, windowMs)) > config.login.maxFailuresPerAddress) return refuse();
    if ((await counters.hit(loginCounter, windowMs)) > config.login.maxFailuresPerLogin) return refuse();
    const password = params.password;
    const valid = account?.passwordHash
      ? await passwords.verify(account.passwordHash, password)
      : await passwords.verifyNothing(password);
    if (!account || !valid) {
      await audit.append({ event: "login", outcome: "failure", accountId: account?.id ?? null, clientAddress });
      throw new PimsError(2401);
    }
    await Promise.all([counters.reset(loginCounter), deploymentCounters.refund(addressCounter)]);
    await audit.append({ event: "login", outcome: "success", accountId: account.id, clientAddress });
    return sessions.open(account);
  };
}
