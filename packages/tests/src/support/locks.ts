import type { TestServer } from "./startTestServer.js";

/**
 * Holds `accountId`'s row lock (`accounts.lockRow`, as a PIN attempt holds it) in one of `server`'s
 * own transactions, from when this resolves until `release()`; `release()` may be called again.
 */
export async function holdAccountLock(
  server: TestServer,
  accountId: string,
): Promise<{ release: () => Promise<void> }> {
  const { transaction, accounts } = server.server.services;
  let free = () => {};
  const released = new Promise<void>((resolve) => {
    free = resolve;
  });
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = transaction(async (trx) => {
    await accounts.lockRow(accountId, trx);
    locked();
    await released;
  });
  await isLocked;
  return {
    release: async () => {
      free();
      await holder;
    },
  };
}
