import { createAccount, INTERNAL_PATHS, otpWithoutPin, requestPhoneCertificationCode } from "@pims/protocol";
import { createPims, memoryStore, type Pims, type PimsStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { recordingFetch, replay } from "../support/recordingFetch.js";
import { ADMIN_KEY, verifyOtp } from "../support/relyingParty.js";
import { selectorParams } from "../support/sampleValues.js";
import { newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

// Red team 4 (issue 16, tenants): attacks by a user, an app, a relying party or an administrator of
// one brand on another brand, or on the deployment. A passing test is an attack refuted; a failing
// one is a hole, reported, its test asserting the safe behaviour.

const PEUGEOT = "peugeot-ios-0001";
const OPEL = "opel-android-0001";
const PEUGEOT_ORIGIN = "https://app.peugeot.example";
const OPEL_ORIGIN = "https://app.opel.example";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { PIMS_ADMIN_KEY: ADMIN_KEY },
    tenants: [
      {
        id: "peugeot",
        name: "Peugeot",
        policy: { cors: { origins: [PEUGEOT_ORIGIN] } },
        apps: [{ clientId: PEUGEOT, name: "Peugeot iOS" }],
      },
      {
        id: "opel",
        name: "Opel",
        policy: { cors: { origins: [OPEL_ORIGIN] } },
        apps: [{ clientId: OPEL, name: "Opel Android" }],
      },
    ],
  });
});
afterAll(() => server.close());

let counter = 0;
const uniqueLogin = () => `red4-${++counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;

async function brandPims(url: string, clientId: string, store: PimsStore = memoryStore(), fetchFn?: typeof fetch) {
  const pims = createPims();
  expectSuccess(
    await pims.initialize({ serverUrl: url, store, credential: { clientId }, ...(fetchFn ? { fetch: fetchFn } : {}) }),
  );
  return pims;
}

async function createdIn(url: string, clientId: string, store: PimsStore = memoryStore(), fetchFn?: typeof fetch) {
  const pims = await brandPims(url, clientId, store, fetchFn);
  expectSuccess(
    await pims.set(createAccount.api, { action: "createAccount", login: uniqueLogin(), password: "a-long-password-1" }),
  );
  return pims;
}

interface Answer {
  status: string;
  result?: Record<string, unknown> & { key?: string; id?: string };
  error?: { code: number; parameter?: string };
}

async function admin(url: string, path: string, key = ADMIN_KEY, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers },
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Answer };
}

async function relyingPartyOf(tenant: string): Promise<{ id: string; key: string }> {
  const { body } = await admin(server.url, `/v1/admin/relying-parties?tenant=${tenant}`, ADMIN_KEY, {
    method: "POST",
    body: JSON.stringify({ name: `${tenant}-rp` }),
  });
  expect(body.status).toBe("SUCCEEDED");
  return { id: String(body.result?.id), key: String(body.result?.key) };
}

async function tenantAdminKey(url: string, tenant: string): Promise<string> {
  const created = await admin(url, `/v1/admin/tenants/${tenant}/admin-keys`, ADMIN_KEY, {
    method: "POST",
    body: JSON.stringify({ name: `${tenant} ops` }),
  });
  expect(created.status).toBe(200);
  return String(created.body.result?.key);
}

async function accountIdIn(tenant: string, pims: Pims): Promise<string> {
  const principal = await server.server.tenants.get(tenant)?.services.sessions.authenticate(await accessToken(pims));
  if (!principal) throw new Error(`no session in ${tenant}`);
  return principal.accountId;
}

describe("sessions across brands", () => {
  it("a refresh token of one brand is unknown with another brand's client id, and stays usable at its own", async () => {
    // The attack: a stolen Peugeot refresh token is traded for tokens through the Opel app's client id.
    const store = memoryStore();
    await createdIn(server.url, PEUGEOT, store);
    const { refreshToken } = (await store.get("pims.session")) as { refreshToken: string };
    const refresh = (clientId: string) =>
      fetch(`${server.url}${INTERNAL_PATHS.refresh}`, {
        method: "POST",
        headers: { "content-type": "application/json", "pims-client-id": clientId },
        body: JSON.stringify({ refreshToken }),
      });
    const atOpel = await refresh(OPEL);
    expect(atOpel.status).toBe(401);
    expect(((await atOpel.json()) as Answer).error?.code).toBe(2301);
    // Without a client id (the default tenant) it is unknown as well.
    const atDefault = await fetch(`${server.url}${INTERNAL_PATHS.refresh}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken }),
    });
    expect(((await atDefault.json()) as Answer).error?.code).toBe(2301);
    // The failed tries did not retire the family: the owner still refreshes at Peugeot.
    const atPeugeot = await refresh(PEUGEOT);
    expect(atPeugeot.status).toBe(200);
  });
});

/** One user at Peugeot and at Opel whose two apps share one device key (an app group's keychain): the same device id enrolled in both brands. */
async function oneKeyInTwoBrands() {
  const recorder = recordingFetch();
  const peugeotStore = memoryStore();
  const peugeot = await createdIn(server.url, PEUGEOT, peugeotStore, recorder.fetch);
  await enrollWithShortcut(server.url, peugeot);
  const peugeotAccount = await accountIdIn("peugeot", peugeot);
  const opelStore = memoryStore();
  const opel = await createdIn(server.url, OPEL, opelStore);
  const opelAccount = await accountIdIn("opel", opel);
  // The same key, shared between the two apps, is enrolled at Opel too.
  const { enrolledAt: _, ...sharedKey } = (await peugeotStore.get(`pims.device.${peugeotAccount}`)) as {
    id: string;
    enrolledAt?: number;
  };
  await opelStore.set(`pims.device.${opelAccount}`, sharedKey);
  await enrollWithShortcut(server.url, opel);
  expect(((await opelStore.get(`pims.device.${opelAccount}`)) as { id: string }).id).toBe(sharedKey.id);

  return { peugeot, opel, recorder, deviceId: sharedKey.id, peugeotAccount, opelAccount };
}

describe("device signatures across brands", () => {
  it("a device-signed request recorded at one brand is refused when replayed at another brand enrolling the same key", async () => {
    // The attack: one device key is enrolled in two brands (an app group sharing a keychain); an eavesdropper replays the user's signed Peugeot `otp.withoutPIN` request at Opel, with the user's Opel access token, and gets an Opel OTP without the device.
    const { peugeot, opel, recorder } = await oneKeyInTwoBrands();

    // The user asks a Peugeot OTP without PIN; the attacker records the signed request.
    expectSuccess(await peugeot.get(otpWithoutPin.api, { action: "withoutPIN" }));
    const signed = recorder.sent.filter((request) => request.url.endsWith(otpWithoutPin.path)).at(-1);
    expect(signed).toBeDefined();
    if (!signed) return;
    // Replayed at Peugeot: refused (the nonce is spent), as before tenants.
    expect((await replay(signed)).body.error?.code).toBe(2311);
    // Replayed at Opel, with the Opel session's token (also seen on the wire).
    const opelToken = await accessToken(opel);
    const atOpel = await replay(signed, {
      headers: { ...signed.headers, authorization: `Bearer ${opelToken}`, "pims-client-id": OPEL },
    });
    expect(atOpel.body.status).toBe("FAILED");
    expect(atOpel.body.error?.code).toBe(2311);
  });

  it("a brand's administrator disabling a device id disables it in that brand only", async () => {
    // The attack: the Peugeot administrator disables device dev_X, which the same key also is at Opel, to cut the user's Opel device off.
    const { opel, deviceId } = await oneKeyInTwoBrands();
    const key = await tenantAdminKey(server.url, "peugeot");
    const disabled = await admin(server.url, `/v1/admin/devices/${deviceId}/disable`, key, { method: "POST" });
    expect(disabled.status).toBe(200);
    // Still enrolled at Opel: it signs an OTP request there.
    expectSuccess(await opel.get(otpWithoutPin.api, { action: "withoutPIN" }));
  });
});

describe("tenant administrators", () => {
  it("a brand's admin key cannot widen its tenant with query tricks", async () => {
    // The attack: the Peugeot administrator names another tenant by an array, another case, the reserved tenant or the default one.
    const key = await tenantAdminKey(server.url, "peugeot");
    for (const query of [
      "tenant=peugeot&tenant=opel",
      "tenant=opel&tenant=peugeot",
      "tenant=OPEL",
      "tenant=Peugeot",
      "tenant=_deployment",
      "tenant=default",
      "tenant=",
      "tenant[]=opel",
    ]) {
      const answer = await admin(server.url, `/v1/admin/relying-parties?${query}`, key);
      if (query === "tenant[]=opel") {
        // Not a parameter named `tenant`: the key's own tenant, nothing else.
        const parties = (answer.body.result?.relyingParties ?? []) as { name: string }[];
        expect(parties.every((party) => !party.name.startsWith("opel"))).toBe(true);
        continue;
      }
      expect({ query, status: answer.status, code: answer.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 2102,
      });
    }
  });

  it("the operator cannot reach the reserved deployment tenant, nor a made-up one", async () => {
    // The attack: the operator's key (or a script holding it) works on `_deployment`'s rows, e.g. resets the deployment-wide SMS counters by creating accounts there.
    for (const tenant of ["_deployment", "unknown", "deployment", "__proto__", "constructor"]) {
      const answer = await admin(server.url, `/v1/admin/relying-parties?tenant=${tenant}`, ADMIN_KEY, {
        method: "POST",
        body: JSON.stringify({ name: "x" }),
      });
      expect({ tenant, code: answer.body.error?.code }).toEqual({ tenant, code: 2102 });
    }
    expect(
      (
        await admin(server.url, "/v1/admin/tenants/_deployment/apps", ADMIN_KEY, {
          method: "POST",
          body: JSON.stringify({ clientId: "deployment-app-01", name: "x" }),
        })
      ).body.error?.code,
    ).toBe(2102);
    const created = await admin(server.url, "/v1/admin/tenants", ADMIN_KEY, {
      method: "POST",
      body: JSON.stringify({ id: "_deployment", name: "x" }),
    });
    expect(created.body.error?.code).toBe(2102);
  });

  it("a brand's admin key reaches no operator route, however the path is spelled", async () => {
    // The attack: the Peugeot administrator mints admin keys, creates apps, disables tenants or re-keys the deployment through an operator route.
    const key = await tenantAdminKey(server.url, "peugeot");
    const attempts: [string, string][] = [
      ["GET", "/v1/admin/tenants"],
      ["GET", "/v1/admin/tenants/"],
      ["GET", "/v1/admin/tenants?tenant=peugeot"],
      ["POST", "/v1/admin/tenants/peugeot/admin-keys"],
      ["GET", "/v1/admin/tenants/opel/admin-keys"],
      ["POST", "/v1/admin/tenants/opel/disable"],
      ["POST", "/v1/admin/tenants/peugeot/apps"],
      ["POST", `/v1/admin/apps/${OPEL}/disable`],
      ["POST", "/v1/admin/admin-keys/tak_x/revoke"],
      ["POST", "/v1/admin/secret/rekey"],
      ["POST", "/v1/admin/assertion-keys/rotate"],
      ["GET", "/V1/ADMIN/TENANTS"],
      ["GET", "/v1/admin//tenants"],
      ["GET", "/v1/admin/./tenants"],
      ["GET", "/v1/admin/%74enants"],
    ];
    for (const [method, path] of attempts) {
      const answer = await admin(server.url, path, key, {
        method,
        ...(method === "POST" ? { body: JSON.stringify({ name: "evil", clientId: "evil-app-0001" }) } : {}),
      });
      expect({ path, refused: answer.status === 403 || answer.status === 404 }).toEqual({ path, refused: true });
    }
    // Nothing changed: Opel is still served.
    expect((await fetch(`${server.url}/v1/client`, { headers: { "pims-client-id": OPEL } })).status).toBe(200);
  });

  it("a disabled brand's admin key and relying party are refused", async () => {
    // The attack: the administrator (or relying party) of a brand the operator disabled keeps reading its accounts and verifying its OTPs.
    const created = await admin(server.url, "/v1/admin/tenants", ADMIN_KEY, {
      method: "POST",
      body: JSON.stringify({ id: "citroen", name: "Citroen" }),
    });
    expect(created.status).toBe(200);
    const key = await tenantAdminKey(server.url, "citroen");
    const party = await relyingPartyOf("citroen");
    expect((await admin(server.url, "/v1/admin/relying-parties", key)).status).toBe(200);
    expect((await admin(server.url, "/v1/admin/tenants/citroen/disable", ADMIN_KEY, { method: "POST" })).status).toBe(
      200,
    );
    const verified = await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" });
    expect(verified.status).toBe(401);
    const listed = await admin(server.url, "/v1/admin/relying-parties", key);
    expect({ status: listed.status, code: listed.body.error?.code }).toEqual({ status: 401, code: 2301 });
    const created2 = await admin(server.url, "/v1/admin/relying-parties", key, {
      method: "POST",
      body: JSON.stringify({ name: "after-disable" }),
    });
    expect(created2.status).toBe(401);
  });
});

describe("relying parties", () => {
  it("a revoked relying-party key is refused at once, though the key → tenant lookup is cached", async () => {
    // The attack: an Opel relying party's leaked key keeps verifying within the registry's 5-second cache after the operator revoked it.
    const party = await relyingPartyOf("opel");
    expect((await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" })).status).toBe(200);
    const revoked = await admin(server.url, `/v1/admin/relying-parties/${party.id}/revoke?tenant=opel`, ADMIN_KEY, {
      method: "POST",
    });
    expect(revoked.status).toBe(200);
    const after = await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" });
    expect(after.status).toBe(401);
    expect(after.body.error?.code).toBe(2301);
  });

  it("a brand's admin cannot revoke another brand's relying party", async () => {
    // The attack: the Peugeot administrator revokes Opel's relying party by id, to break Opel's logins.
    const party = await relyingPartyOf("opel");
    const key = await tenantAdminKey(server.url, "peugeot");
    const answer = await admin(server.url, `/v1/admin/relying-parties/${party.id}/revoke`, key, { method: "POST" });
    expect(answer.body.error?.code).toBe(2102);
    expect((await verifyOtp(server.url, party.key, { otp: "123456", account: "acc_x" })).status).toBe(200);
  });

  it("an assertion of one brand names that brand: its tenant differs from another brand's, its aud is the relying party", async () => {
    // The attack: a JWS assertion Peugeot's relying party got is presented to an Opel service (one issuer for the deployment, decision 0028: aud and the tenant claim tell them apart).
    const peugeotParty = await relyingPartyOf("peugeot");
    const opelParty = await relyingPartyOf("opel");
    const claimsOf = async (clientId: string, party: { key: string }) => {
      const pims = await createdIn(server.url, clientId);
      await enrollWithShortcut(server.url, pims);
      const { otp } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
      const { body } = await verifyOtp(server.url, party.key, {
        otp,
        accessToken: await accessToken(pims),
        assertion: "jws",
      });
      expect(body.result?.valid).toBe(true);
      const payload = String(body.result?.assertion).split(".")[1] ?? "";
      return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
        iss: string;
        aud: string;
        tenant?: string;
      };
    };
    const atPeugeot = await claimsOf(PEUGEOT, peugeotParty);
    const atOpel = await claimsOf(OPEL, opelParty);
    expect(atPeugeot.aud).toBe(peugeotParty.id);
    expect(atOpel.aud).toBe(opelParty.id);
    expect(atPeugeot.aud).not.toBe(atOpel.aud);
    expect([atPeugeot.tenant, atOpel.tenant]).toEqual(["peugeot", "opel"]);
    expect(atPeugeot.iss).toBe(atOpel.iss);
  });
});

describe("OTPs across brands", () => {
  it("wrong guesses through another brand's relying party do not void the user's OTP", async () => {
    // The attack: the Opel relying party names a Peugeot account (by id, then by its access token) and guesses wrong OTPs until the account's live OTPs are voided.
    const peugeotParty = await relyingPartyOf("peugeot");
    const opelParty = await relyingPartyOf("opel");
    const pims = await createdIn(server.url, PEUGEOT);
    await enrollWithShortcut(server.url, pims);
    const { otp } = expectSuccess(await pims.get(otpWithoutPin.api, { action: "withoutPIN" })) as { otp: string };
    const wrong = `${otp.slice(0, -1)}${otp.endsWith("0") ? "1" : "0"}`;
    const account = await accountIdIn("peugeot", pims);
    const token = await accessToken(pims);
    for (let i = 0; i < 8; i++) {
      const byId = await verifyOtp(server.url, opelParty.key, { otp: i === 0 ? otp : wrong, account });
      expect(byId.body.result?.valid ?? false).toBe(false);
      const byToken = await verifyOtp(server.url, opelParty.key, { otp: wrong, accessToken: token });
      expect(byToken.body.result?.valid ?? false).toBe(false);
    }
    expect((await verifyOtp(server.url, peugeotParty.key, { otp, account })).body.result?.valid).toBe(true);
  });
});

describe("the tenant registry", () => {
  it("a brand the operator disables is refused at once by this process, even while a reload is running", async () => {
    // The attack: an app of a brand being disabled keeps being served for the refresh interval, because the disable's reload joined one that had read the tables before the change.
    const created = await admin(server.url, "/v1/admin/tenants", ADMIN_KEY, {
      method: "POST",
      body: JSON.stringify({ id: "fiat", name: "Fiat" }),
    });
    expect(created.status).toBe(200);
    const app = await admin(server.url, "/v1/admin/tenants/fiat/apps", ADMIN_KEY, {
      method: "POST",
      body: JSON.stringify({ clientId: "fiat-app-000001", name: "Fiat app" }),
    });
    expect(app.status).toBe(200);
    const client = () => fetch(`${server.url}/v1/client`, { headers: { "pims-client-id": "fiat-app-000001" } });
    expect((await client()).status).toBe(200);

    const registry = server.server.tenants;
    const table = registry.tenants;
    const list = table.list.bind(table);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A slow read of the tenants table (a busy database): the periodic reload has read it, not yet applied it.
    table.list = async () => {
      const rows = await list();
      await gate;
      return rows;
    };
    const running = registry.reload();
    await new Promise((resolve) => setTimeout(resolve, 20));
    table.list = list;
    const disabling = admin(server.url, "/v1/admin/tenants/fiat/disable", ADMIN_KEY, { method: "POST" });
    for (let i = 0; i < 200 && (await table.find("fiat"))?.disabled_at == null; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect((await disabling).status).toBe(200);
    await running;
    const answer = await client();
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as Answer).error?.code).toBe(2006);
  });
});

describe("CORS across brands", () => {
  it("a page of one brand cannot read what another brand's client id gets", async () => {
    // The attack: a script on Peugeot's web origin calls Pims with Opel's client id and reads the answer.
    const call = (origin: string, clientId?: string) =>
      fetch(`${server.url}${createAccount.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin, ...(clientId ? { "pims-client-id": clientId } : {}) },
        body: JSON.stringify({ login: uniqueLogin(), password: "a-long-password-1" }),
      });
    expect((await call(PEUGEOT_ORIGIN, PEUGEOT)).headers.get("access-control-allow-origin")).toBe(PEUGEOT_ORIGIN);
    expect((await call(PEUGEOT_ORIGIN, OPEL)).headers.get("access-control-allow-origin")).toBeNull();
    // Nor the default tenant's, nor an unknown client id's answers.
    expect((await call(PEUGEOT_ORIGIN)).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(PEUGEOT_ORIGIN, "no-such-app-0001")).headers.get("access-control-allow-origin")).toBeNull();
    // The client check too.
    const client = await fetch(`${server.url}/v1/client`, {
      headers: { origin: OPEL_ORIGIN, "pims-client-id": PEUGEOT },
    });
    expect(client.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("metrics", () => {
  it("random client ids do not add metric labels", async () => {
    // The attack: a script sends thousands of made-up client ids to blow up the metrics' label cardinality.
    for (let i = 0; i < 20; i++) {
      await fetch(`${server.url}${createAccount.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "pims-client-id": `made-up-client-${i}-xyz` },
        body: "{}",
      });
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toContain("made-up-client");
    const labels = new Set([...text.matchAll(/tenant="([^"]*)"/g)].map((match) => match[1]));
    const declared = [...server.server.tenants.all().map((tenant) => tenant.id), "unknown", "deployment"];
    for (const label of labels) expect(declared).toContain(label);
  });
});

describe("deployment-wide quotas", () => {
  let quotas: TestServer;
  beforeAll(async () => {
    quotas = await startTestServer({
      env: {
        PIMS_ADMIN_KEY: ADMIN_KEY,
        PIMS_SMS_PER_PHONE_HOUR: "2",
        PIMS_SMS_PER_PHONE_DAY: "2",
        PIMS_MAX_ACCOUNTS_PER_ADDRESS: "3",
      },
      tenants: [
        { id: "peugeot", name: "Peugeot", apps: [{ clientId: PEUGEOT, name: "Peugeot iOS" }] },
        { id: "opel", name: "Opel", apps: [{ clientId: OPEL, name: "Opel Android" }] },
      ],
    });
  });
  afterAll(() => quotas.close());

  it("a number's hourly quota is the deployment's: asking through several brands does not multiply it", async () => {
    // The attack: a stranger who knows only a victim's number pumps certification SMS to it through every brand of the deployment.
    const phone = newPhone();
    const ask = async (clientId: string) => {
      const pims = await createdIn(quotas.url, clientId);
      return pims.get(requestPhoneCertificationCode.api, {
        ...selectorParams(requestPhoneCertificationCode),
        phoneNumber: phone.national,
      });
    };
    expectSuccess(await ask(PEUGEOT));
    expectSuccess(await ask(PEUGEOT));
    expectFailure(await ask(OPEL), 2383);
  });

  it("the accounts a client address may create are counted across brands", async () => {
    // The attack: a script whose address is at the account-creation limit of one brand creates as many again at each other brand (decision 0028: a client address's limits are deployment-wide).
    const create = async (clientId: string) => {
      const pims = await brandPims(quotas.url, clientId);
      return pims.set(createAccount.api, {
        action: "createAccount",
        login: uniqueLogin(),
        password: "a-long-password-1",
      });
    };
    // The earlier test created 3 accounts from this address; the limit is 3.
    expectFailure(await create(PEUGEOT), 2383);
    expectFailure(await create(OPEL), 2383);
  });
});
