import { memoryStore } from "@pims/sdk";
import { expect } from "vitest";
import { enrollWithShortcut } from "./enroll.js";
import { expectSuccess, loggedInPims } from "./facade.js";
import { ADMIN_KEY, verifyOtp } from "./relyingParty.js";

/** An enrolled account that can ask OTPs, and its access token. */
export async function enrolledAccount(url: string, chosenPin: string) {
  const { pims, login } = await loggedInPims(url, memoryStore());
  const { pin } = await enrollWithShortcut(url, pims, chosenPin);
  const { token } = expectSuccess(
    await pims.get("pims.authentication.token", { type: "customerAt", action: "get" }),
  ) as { token: string };
  return { pims, pin, token, login };
}

/** A valid verification by `rpKey` that asked for an assertion; answers the JWS and the account id. */
export async function assertionFor(
  url: string,
  rpKey: string,
  account: Awaited<ReturnType<typeof enrolledAccount>>,
  withPin = true,
): Promise<{ jws: string; accountId: string }> {
  const { otp } = expectSuccess(
    await account.pims.get(
      "pims.authentication.otp",
      withPin ? { action: "withPIN", pinCode: account.pin } : { action: "withoutPIN" },
    ),
  ) as { otp: string };
  const { status, body } = await verifyOtp(url, rpKey, { otp, accessToken: account.token, assertion: "jws" });
  expect(status).toBe(200);
  expect(body.result?.valid).toBe(true);
  expect(typeof body.result?.assertion).toBe("string");
  return { jws: body.result?.assertion ?? "", accountId: body.result?.account?.id ?? "" };
}

/** `POST /v1/admin/assertion-keys/rotate`. */
export async function rotateAssertionKey(url: string): Promise<{ kid: string; next: string; retired: string | null }> {
  const response = await fetch(`${url}/v1/admin/assertion-keys/rotate`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: { kid: string; next: string; retired: string | null } }).result;
}

/** The kids of the published JWK Set, in its order. */
export async function publishedKids(url: string): Promise<string[]> {
  const set = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return set.keys.map((key) => key.kid);
}
