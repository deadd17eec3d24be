import { createAccount, requestPhoneCertificationCode } from "@pims/protocol";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { expectFailure, expectSuccess } from "../support/facade.js";
import { inbox, newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * SMS pumping: a script makes Pims send codes it profits from (to premium or satellite ranges, or
 * in bulk to one expensive country), spreading over accounts, numbers and addresses. Each test
 * opens with what the pumper tries; the figures are printed.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      PIMS_TRUST_PROXY_HOPS: "1",
      PIMS_SMS_GLOBAL_PER_HOUR: "12",
      PIMS_SMS_COUNTRY_PER_HOUR: "4",
      PIMS_SMS_PER_ADDRESS_HOUR: "3",
    },
  });
});
afterAll(() => server.close());

let addressSequence = 0;
/** A new account whose requests come (through the trusted proxy) from `address`. */
async function accountAt(url: string, address: string): Promise<Pims> {
  const pims = createPims();
  const fetchFrom: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("x-forwarded-for", address);
    return fetch(input, { ...init, headers });
  };
  expectSuccess(await pims.initialize({ serverUrl: url, store: memoryStore(), fetch: fetchFrom }));
  expectSuccess(
    await pims.set(createAccount.api, {
      action: "createAccount",
      login: `pumper-${++addressSequence}-${Math.random().toString(36).slice(2)}@example.com`,
      password: "pumping-password-long",
    }),
  );
  return pims;
}

const certify = (pims: Pims, phoneNumber: string) =>
  pims.get(requestPhoneCertificationCode.api, { type: "phoneNumberCertification", phoneNumber });
const outcome = (m: { status: string; error?: { code: number } }) =>
  m.status === "SUCCEEDED" ? "sent" : String(m.error?.code);

async function metric(name: string): Promise<string[]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split("\n").filter((line) => line.startsWith(name));
}

describe("high-cost ranges", () => {
  it("the pumper asks for codes to satellite (+881), international-network (+882/+883) and Inmarsat (+870) numbers: 2102, nothing sent", async () => {
    const pims = await accountAt(server.url, "192.0.2.10");
    const numbers = ["+881612345678", "+8821612345678", "+8832101234567", "+870773111632"];
    const answers = [];
    for (const number of numbers) answers.push(await certify(pims, number));
    console.log(`[figures] S5 to ${numbers.join(", ")}: ${answers.map(outcome).join(", ")}`);
    for (const answer of answers) expectFailure(answer, 2102);
    for (const number of numbers) expect(await inbox(server.url, number)).toEqual([]);
  });

  it("a deployment that needs them allows them explicitly (PIMS_SMS_DENIED_PREFIXES)", async () => {
    const open = await startTestServer({ env: { PIMS_SMS_DENIED_PREFIXES: "+979" } });
    try {
      const pims = await accountAt(open.url, "192.0.2.11");
      expectSuccess(await certify(pims, "+881612345678"));
    } finally {
      await open.close();
    }
  });
});

describe("circuit breakers", () => {
  it("the pumper spreads over accounts, numbers and addresses in one foreign country: its budget (4/h) opens the breaker", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 7; i++) {
      const pims = await accountAt(server.url, `198.51.100.${i + 1}`);
      answers.push(outcome(await certify(pims, `+3247000000${i}`)));
    }
    const logged = server.logs.filter((line) => line.includes("SMS circuit breaker open"));
    const counted = await metric('pims_sms_circuit_breaker_total{scope="country"}');
    console.log(
      `[figures] 7 S5 to Belgian numbers from 7 accounts and 7 addresses: ${answers.join(", ")}; log lines: ${logged.length}; metric: ${counted.join(" ")}`,
    );
    expect(answers).toEqual(["sent", "sent", "sent", "sent", "2383", "2383", "2383"]);
    expect(logged).toHaveLength(3);
    expect(JSON.parse(logged[0] as string)).toMatchObject({ scope: "country", destination: "BE", limit: 4 });
    expect(counted).toEqual(['pims_sms_circuit_breaker_total{scope="country"} 3']);
    // Numbers at home are not held back by the foreign country's breaker.
    expectSuccess(await certify(await accountAt(server.url, "198.51.100.99"), newPhone().national));
  });

  it("the pumper spreads at home: the deployment's hourly budget (12/h) opens the breaker for every destination", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const pims = await accountAt(server.url, `203.0.113.${i + 1}`);
      answers.push(outcome(await certify(pims, newPhone().national)));
    }
    const sent = answers.filter((a) => a === "sent").length;
    const counted = await metric('pims_sms_circuit_breaker_total{scope="global"}');
    console.log(
      `[figures] 12 more S5 from 12 accounts and addresses (5 sent before in this hour): ${answers.join(", ")}; metric: ${counted.join(" ")}`,
    );
    // 4 Belgian and 1 French code were sent by the test before: 7 more fit in the budget of 12.
    expect(sent).toBe(7);
    expect(answers.slice(7).every((a) => a === "2383")).toBe(true);
    expect(counted).toEqual(['pims_sms_circuit_breaker_total{scope="global"} 5']);
  });
});

describe("per-address limits and IPv6", () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer({ env: { PIMS_TRUST_PROXY_HOPS: "1", PIMS_SMS_PER_ADDRESS_HOUR: "3" } });
  });
  afterAll(() => fresh.close());

  it("the pumper rotates through the addresses of one IPv6 /64: one address quota (3/h) for all of them", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pims = await accountAt(fresh.url, `2001:db8:4:2:${(i + 1).toString(16)}::${i + 7}`);
      answers.push(outcome(await certify(pims, newPhone().national)));
    }
    const elsewhere = await certify(await accountAt(fresh.url, "2001:db8:4:3::1"), newPhone().national);
    console.log(
      `[figures] 6 S5 from 6 addresses of 2001:db8:4:2::/64: ${answers.join(", ")}; from another /64: ${outcome(elsewhere)}`,
    );
    expect(answers).toEqual(["sent", "sent", "sent", "2383", "2383", "2383"]);
    expectSuccess(elsewhere);
  });
});
