import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, otpWithPin, requestPhoneCertificationCode } from "@pims/protocol";
import { createPims, memoryStore, type Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut, shortcutAttempt } from "../support/enroll.js";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { selectorParams } from "../support/sampleValues.js";
import { inbox, newPhone } from "../support/sms.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

// Each brand has its own policy (decision 0028), declared in a tenants file as an operator writes
// it: Peugeot wants 6-digit PINs, blocks after 3 wrong ones, and signs its SMS "PEUGEOT"; Opel keeps
// the deployment's PIN rules and words its own text. The default tenant keeps the deployment's.

const TENANTS = `# two brands, as docs/tenants.md shows
tenants:
  - id: peugeot
    name: Peugeot
    apps:
      - clientId: peugeot-ios-0001
        name: Peugeot iOS
    policy:
      pin:
        length: 6
        maxFailures: 3
        blocklist: ["190519", "220824"]
      sms:
        senderId: PEUGEOT
  - id: opel
    name: Opel
    apps:
      - clientId: opel-android-0001
        name: Opel Android
    policy:
      sms:
        senderId: OPEL
        texts:
          en:
            certification: "Opel: {code} confirms your number. Valid {minutes} min."
`;

let server: TestServer;
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "pims-tenants-"));
  const file = join(folder, "tenants.yaml");
  await writeFile(file, TENANTS);
  server = await startTestServer({ env: { PIMS_TENANTS_FILE: file } });
});
afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

async function brand(clientId: string | undefined): Promise<Pims> {
  const pims = createPims();
  expectSuccess(
    await pims.initialize({
      serverUrl: server.url,
      store: memoryStore(),
      ...(clientId === undefined ? {} : { credential: { clientId } }),
    }),
  );
  const login = `policy-${Math.random().toString(36).slice(2, 10)}@example.com`;
  expectSuccess(await pims.set(createAccount.api, { action: "createAccount", login, password: "a-long-password-1" }));
  return pims;
}

describe("PIN policy per brand", () => {
  it("Peugeot refuses a 4-digit PIN that Opel and the default tenant accept", async () => {
    expectFailure(
      await shortcutAttempt(server.url, await brand("peugeot-ios-0001"), "5820"),
      2102,
      "Invalid pinCode parameter",
    );
    expectSuccess(await shortcutAttempt(server.url, await brand("peugeot-ios-0001"), "582017"));
    expectSuccess(await shortcutAttempt(server.url, await brand("opel-android-0001"), "5820"));
    expectSuccess(await shortcutAttempt(server.url, await brand(undefined), "5820"));
  });

  it("Peugeot refuses the PINs of its own blocklist, which Opel accepts", async () => {
    expectFailure(
      await shortcutAttempt(server.url, await brand("peugeot-ios-0001"), "190519"),
      2102,
      "Invalid pinCode parameter",
    );
    expectSuccess(await shortcutAttempt(server.url, await brand("opel-android-0001"), "190519"));
  });

  it("Peugeot blocks after 3 wrong PINs, Opel after the deployment's 5", async () => {
    const wrongUntilBlocked = async (clientId: string, pin: string) => {
      const pims = await brand(clientId);
      await enrollWithShortcut(server.url, pims, pin);
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const answer = await pims.get(otpWithPin.api, {
          action: "withPIN",
          pinCode: pin.replace(/.$/, (d) => String((Number(d) + 1) % 10)),
        });
        codes.push(answer.status === "FAILED" ? answer.error.code : 0);
      }
      return codes;
    };
    expect(await wrongUntilBlocked("peugeot-ios-0001", "582017")).toEqual([2308, 2308, 2308, 2310, 2310, 2310, 2310]);
    expect(await wrongUntilBlocked("opel-android-0001", "58201739")).toEqual([
      2308, 2308, 2308, 2308, 2308, 2310, 2310,
    ]);
  });
});

describe("SMS wording and sender per brand", () => {
  const certify = async (clientId: string | undefined) => {
    const pims = await brand(clientId);
    const phone = newPhone();
    expectSuccess(
      await pims.get(requestPhoneCertificationCode.api, {
        ...selectorParams(requestPhoneCertificationCode),
        phoneNumber: phone.national,
      }),
    );
    const [message] = await inbox(server.url, phone.e164);
    const printed = server.smsConsole.find((line) => line.includes(phone.e164)) ?? "";
    return { message: message as { body: string; from?: string }, printed };
  };

  it("Peugeot's texts name Peugeot and come from PEUGEOT", async () => {
    const { message, printed } = await certify("peugeot-ios-0001");
    expect(message.body).toMatch(/^\d{6} is your Peugeot code to confirm this phone number\. It expires in 5 min\./);
    expect(message.from).toBe("PEUGEOT");
    expect(printed).toMatch(/^\[pims sms\] from PEUGEOT to \+336\d{8}: \d{6} is your Peugeot code/);
  });

  it("Opel's own text, from OPEL; the default tenant's is the deployment's, with no sender", async () => {
    const opel = await certify("opel-android-0001");
    expect(opel.message.body).toMatch(/^Opel: \d{6} confirms your number\. Valid 5 min\.$/);
    expect(opel.message.from).toBe("OPEL");
    const deployment = await certify(undefined);
    expect(deployment.message.body).toMatch(/^\d{6} is your Pims code to confirm this phone number\./);
    expect(deployment.message.from).toBeUndefined();
  });
});
