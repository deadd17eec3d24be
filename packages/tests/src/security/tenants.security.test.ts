import {
  addPhoneNumber,
  createAccount,
  loginUser as loginOperation,
  otpWithPin,
  requestPhoneCertificationCode,
} from "@pims/protocol";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { ADMIN_KEY, verifyOtp } from "../support/relyingParty.js";
import { selectorParams } from "../support/sampleValues.js";
import { latestCode, newPhone, otherCode } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken, certificationCode } from "../support/steps.js";

// Two brands on one deployment (decision 0028). Each test is an attack by one brand's user, app,
// relying party or administrator on the other brand's data; each would pass — and so fail here —
// if the query behind it forgot its tenant.

const PEUGEOT = "peugeot-ios-0001";
const OPEL = "opel-android-0001";
const DISABLED_APP = "peugeot-old-app-0001";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { PIMS_ADMIN_KEY: ADMIN_KEY, PIMS_LOGIN_MAX_FAILURES_PER_LOGIN: "3" },
    tenants: [
      {
        id: "peugeot",
        name: "Peugeot",
        apps: [
          { clientId: PEUGEOT, name: "Peugeot iOS" },
          { clientId: DISABLED_APP, name: "Peugeot (retired)", disabled: true },
        ],
      },
      { id: "opel", name: "Opel", apps: [{ clientId: OPEL, name: "Opel Android" }] },
      { id: "ds", name: "DS", disabled: true, apps: [{ clientId: "ds-web-000001", name: "DS web" }] },
    ],
  });
});
afterAll(() => server.close());

/** The SDK of one brand's app: every request carries the app's client id. */
async function brandPims(clientId: string): Promise<Pims> {
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl: server.url, store: memoryStore(), credential: { clientId } }));
  return pims;
}

let counter = 0;
const uniqueLogin = () => `shared${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

async function createdIn(clientId: string, login: string, password: string): Promise<Pims> {
  const pims = await brandPims(clientId);
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password }));
  return pims;
}

interface AdminAnswer {
  status: string;
  result: {
    key: string;
    accounts: { id: string }[];
    account: { login: string };
    devices: unknown[];
    events: unknown[];
  };
  error: { code: number; parameter?: string };
}

async function admin(path: string, key = ADMIN_KEY, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as AdminAnswer };
}

async function relyingPartyOf(tenant: string): Promise<string> {
  const { body } = await admin(`/v1/admin/relying-parties?tenant=${tenant}`, ADMIN_KEY, {
    method: "POST",
    body: JSON.stringify({ name: `${tenant}-rp` }),
  });
  expect(body.status).toBe("SUCCEEDED");
  return body.result.key;
}

describe("accounts and sessions", () => {
  it("the same login in two brands is two accounts, each with its own password", async () => {
    // The attack: knowing alice's login at Peugeot, log in to her Opel account with the Peugeot password.
    const login = uniqueLogin();
    await createdIn(PEUGEOT, login, "peugeot-password-long");
    await createdIn(OPEL, login, "opel-password-long");
    const peugeot = await brandPims(PEUGEOT);
    const opel = await brandPims(OPEL);
    expectSuccess(await opel.set(loginOperation.api, { action: "login", login, password: "opel-password-long" }));
    expectFailure(
      await peugeot.set(loginOperation.api, { action: "login", login, password: "opel-password-long" }),
      2401,
    );
    // Taken within one brand, as before tenants.
    const again = await brandPims(OPEL);
    expectFailure(
      await again.set(createAccount.api, { action: "createAccount", login, password: "another-long-pw" }),
      2402,
    );
  });

  it("an account of one brand does not exist in another", async () => {
    // The attack: an Opel app logs in with a login that exists only at Peugeot.
    const login = uniqueLogin();
    await createdIn(PEUGEOT, login, "only-at-peugeot-pw");
    const opel = await brandPims(OPEL);
    expectFailure(await opel.set(loginOperation.api, { action: "login", login, password: "only-at-peugeot-pw" }), 2401);
  });

  it("a session's access token of one brand is unknown with another brand's client id", async () => {
    // The attack: replay a Peugeot access token in a request that names the Opel app.
    const pims = await createdIn(PEUGEOT, uniqueLogin(), "token-owner-password");
    const token = await accessToken(pims);
    const call = (clientId: string) =>
      fetch(`${server.url}${requestPhoneCertificationCode.path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "pims-client-id": clientId },
        body: JSON.stringify({ phoneNumber: newPhone().national }),
      });
    const inOpel = await call(OPEL);
    expect(inOpel.status).toBe(401);
    expect(((await inOpel.json()) as { error: { code: number } }).error.code).toBe(2301);
    expect((await call(PEUGEOT)).status).toBe(200);
  });

  it("failed logins at one brand do not lock the same login at another", async () => {
    // The attack: a stranger spends the per-login failure limit at Peugeot to lock alice out of Opel.
    const login = uniqueLogin();
    await createdIn(PEUGEOT, login, "peugeot-password-long");
    await createdIn(OPEL, login, "opel-password-long");
    const peugeot = await brandPims(PEUGEOT);
    for (let i = 0; i < 3; i++)
      expectFailure(
        await peugeot.set(loginOperation.api, { action: "login", login, password: `wrong-${i}-long` }),
        2401,
      );
    // Over the limit at Peugeot: even the right password is refused there…
    expectFailure(
      await peugeot.set(loginOperation.api, { action: "login", login, password: "peugeot-password-long" }),
      2383,
    );
    // …and alice logs in at Opel at once.
    const opel = await brandPims(OPEL);
    expectSuccess(await opel.set(loginOperation.api, { action: "login", login, password: "opel-password-long" }));
  });
});

describe("client ids", () => {
  it("an unknown client id, a disabled app and an app of a disabled brand answer 2006 at initialize", async () => {
    // The attack: an app built with a made-up or retired client id reaches a brand's accounts.
    for (const clientId of ["no-such-app-0001", DISABLED_APP, "ds-web-000001"]) {
      const pims = createPims();
      expectFailure(await pims.initialize({ serverUrl: server.url, credential: { clientId } }), 2006);
    }
  });

  it("a request naming an unknown client id answers 2006 and creates nothing", async () => {
    // The attack: skip initialize and call an operation directly with an unknown client id.
    const login = uniqueLogin();
    const response = await fetch(`${server.url}${createAccount.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "pims-client-id": "no-such-app-0001" },
      body: JSON.stringify({ login, password: "some-long-password" }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(2006);
    // Nowhere: neither in the default tenant nor in a brand.
    for (const clientId of [PEUGEOT, OPEL]) {
      const pims = await brandPims(clientId);
      expectSuccess(
        await pims.set(createAccount.api, { action: "createAccount", login, password: "some-long-password" }),
      );
    }
  });
});

describe("phones and SMS codes", () => {
  it("one number may be trusted by an account in each brand, and by one account only within a brand", async () => {
    // The attack: a Peugeot account that trusts a number blocks its owner from trusting it at Opel (2390 across brands).
    const phone = newPhone();
    const peugeot = await createdIn(PEUGEOT, uniqueLogin(), "peugeot-phone-owner");
    await enrollWithShortcut(server.url, peugeot, "48213579", phone);
    const opel = await createdIn(OPEL, uniqueLogin(), "opel-phone-owner");
    await enrollWithShortcut(server.url, opel, "48213579", phone);
    const secondPeugeot = await createdIn(PEUGEOT, uniqueLogin(), "second-peugeot-pw");
    const smsCode = await certificationCode(server.url, secondPeugeot, phone);
    expectFailure(
      await secondPeugeot.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode, phoneNumber: phone.national }),
      2390,
    );
  });

  it("an SMS code sent for one brand's account does not certify a number at another brand", async () => {
    // The attack: the Opel account reuses the code Peugeot sent, for the same number.
    const phone = newPhone();
    const peugeot = await createdIn(PEUGEOT, uniqueLogin(), "peugeot-code-owner");
    const code = await certificationCode(server.url, peugeot, phone);
    const opel = await createdIn(OPEL, uniqueLogin(), "opel-code-thief");
    // Opel asks for its own code first (so a code is pending there), then presents Peugeot's.
    expectSuccess(
      await opel.get(requestPhoneCertificationCode.api, {
        ...selectorParams(requestPhoneCertificationCode),
        phoneNumber: phone.national,
      }),
    );
    const opelCode = await latestCode(server.url, phone.e164);
    const stolen = code === opelCode ? otherCode(code) : code;
    expectFailure(
      await opel.set(addPhoneNumber.api, { action: "addPhoneNumber", smsCode: stolen, phoneNumber: phone.national }),
      2305,
    );
  });
});

describe("OTPs and relying parties", () => {
  it("an OTP of one brand never verifies through another brand's relying party, and stays valid at its own", async () => {
    // The attack: an Opel relying party (or whoever holds its key) verifies an OTP a Peugeot user obtained.
    const peugeotKey = await relyingPartyOf("peugeot");
    const opelKey = await relyingPartyOf("opel");
    const pims = await createdIn(PEUGEOT, uniqueLogin(), "otp-owner-password");
    const { pin } = await enrollWithShortcut(server.url, pims);
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const token = await accessToken(pims);
    const atOpel = await verifyOtp(server.url, opelKey, { otp, accessToken: token });
    expect(atOpel.body.result?.valid ?? false).toBe(false);
    const atPeugeot = await verifyOtp(server.url, peugeotKey, { otp, accessToken: token });
    expect(atPeugeot.body.result?.valid).toBe(true);
  });

  it("an account id of one brand is unknown to another brand's relying party", async () => {
    // The attack: the Opel relying party names a Peugeot account by id and guesses OTPs against it.
    const opelKey = await relyingPartyOf("opel");
    const pims = await createdIn(PEUGEOT, uniqueLogin(), "account-id-owner-pw");
    const { pin } = await enrollWithShortcut(server.url, pims);
    const { otp } = expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin })) as {
      otp: string;
    };
    const accountId = (
      await server.server.tenants.get("peugeot")?.services.sessions.authenticate(await accessToken(pims))
    )?.accountId;
    expect(accountId).toBeDefined();
    const answer = await verifyOtp(server.url, opelKey, { otp, account: accountId });
    expect(answer.body.result?.valid ?? false).toBe(false);
  });
});

describe("administrators", () => {
  it("a brand's admin key sees and changes nothing of another brand", async () => {
    // The attack: the Peugeot administrator looks up, unblocks or disables Opel's accounts and devices.
    const created = await admin("/v1/admin/tenants/peugeot/admin-keys", ADMIN_KEY, {
      method: "POST",
      body: JSON.stringify({ name: "peugeot ops" }),
    });
    expect(created.status).toBe(200);
    const peugeotAdmin = created.body.result.key;
    const login = uniqueLogin();
    const opel = await createdIn(OPEL, login, "opel-admin-target");
    await enrollWithShortcut(server.url, opel);
    const found = await admin(`/v1/admin/accounts?tenant=opel&query=${encodeURIComponent(login)}`);
    const opelAccount = found.body.result.accounts[0]?.id ?? "";
    // Its own tenant: nothing of Opel's is found, neither by search nor by id.
    expect(
      (await admin(`/v1/admin/accounts?query=${encodeURIComponent(login)}`, peugeotAdmin)).body.result.accounts,
    ).toEqual([]);
    expect((await admin(`/v1/admin/accounts/${opelAccount}`, peugeotAdmin)).body.error.code).toBe(2102);
    expect(
      (await admin(`/v1/admin/accounts/${opelAccount}/unblock`, peugeotAdmin, { method: "POST" })).body.error.code,
    ).toBe(2102);
    // Naming the other tenant does not help.
    const named = await admin(`/v1/admin/accounts/${opelAccount}?tenant=opel`, peugeotAdmin);
    expect(named.body.error.parameter ?? named.body.error.code).toBeDefined();
    expect(named.body.error.code).toBe(2102);
    // The tenants themselves and the deployment's keys are the operator's only.
    expect((await admin("/v1/admin/tenants", peugeotAdmin)).status).toBe(403);
    expect((await admin("/v1/admin/assertion-keys/rotate", peugeotAdmin, { method: "POST" })).status).toBe(403);
    // The operator sees the account in its tenant, with its device.
    const shown = await admin(`/v1/admin/accounts/${opelAccount}?tenant=opel`);
    expect(shown.body.result.account.login).toBe(login);
    expect(shown.body.result.devices).toHaveLength(1);
  });

  it("audit events of one brand are not in another brand's trail", async () => {
    // The attack: read another brand's audit trail through one's own tenant.
    const login = uniqueLogin();
    await createdIn(OPEL, login, "opel-audited-account");
    const found = await admin(`/v1/admin/accounts?tenant=opel&query=${encodeURIComponent(login)}`);
    const id = found.body.result.accounts[0]?.id ?? "";
    expect((await admin(`/v1/admin/accounts/${id}/audit?tenant=opel`)).body.result.events.length).toBeGreaterThan(0);
    expect((await admin(`/v1/admin/accounts/${id}/audit?tenant=peugeot`)).body.error.code).toBe(2102);
  });
});
