import type { TransactionEvidence } from "@pims/protocol";
import { expect } from "vitest";

export const ADMIN_KEY = "admin-key-for-tests-0123456789abcdef";

/** Creates a relying party through the admin API; returns its id and API key. */
export async function createRelyingParty(url: string, name = "test-rp"): Promise<{ id: string; key: string }> {
  const response = await fetch(`${url}/v1/admin/relying-parties`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: { id: string; key: string } }).result;
}

/** POST /v1/rp/verify as a relying party. */
export async function verifyOtp(url: string, key: string, body: object) {
  const response = await fetch(`${url}/v1/rp/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as VerifyAnswer };
}

interface VerifyAnswer {
  status: string;
  result?: {
    valid: boolean;
    account?: { id: string; username: string };
    device?: string;
    factors?: string[];
    issuedAt?: number;
    acr?: string;
    amr?: string[];
    authTime?: number;
    transaction?: TransactionEvidence;
    assertion?: string;
  };
  error?: { code: number; label: string };
}
