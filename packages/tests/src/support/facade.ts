import { createAccount } from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsMessage, type PimsStore } from "@pims/sdk";
import { expect } from "vitest";

let accountCounter = 0;

/** An initialized facade on `url`. */
export async function initializedPims(
  url: string,
  store: PimsStore = memoryStore(),
  protectedOrigins?: readonly string[],
): Promise<Pims> {
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: url, store, ...(protectedOrigins ? { protectedOrigins } : {}) }));
  return pims;
}

/** A new, logged-in account on `url`; returns the facade and the credentials. */
export async function loggedInPims(
  url: string,
  store: PimsStore = memoryStore(),
  protectedOrigins?: readonly string[],
): Promise<{ pims: Pims; login: string; password: string }> {
  const pims = await initializedPims(url, store, protectedOrigins);
  accountCounter += 1;
  const login = `user${accountCounter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = `pw-${Math.random().toString(36).slice(2)}-long`;
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password }));
  return { pims, login, password };
}

export function expectSuccess<R>(message: PimsMessage<R>): R {
  if (message.status !== "SUCCEEDED") {
    throw new Error(`expected SUCCEEDED, got ${JSON.stringify(message)}`);
  }
  return message.result;
}

/** Asserts a FAILED message with `code` (and the exact label, when given). */
export function expectFailure(message: PimsMessage, code: number, label?: string): void {
  expect(message.status, JSON.stringify(message)).toBe("FAILED");
  if (message.status !== "FAILED") return;
  expect(message.error.code, JSON.stringify(message)).toBe(code);
  if (label !== undefined) expect(message.error.label).toBe(label);
}
