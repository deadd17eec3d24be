import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Config } from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import { loadConfig } from "./loadConfig.js";
import { applyTenantPolicy, loadTenantsFile } from "./tenantsFile.js";

const dir = mkdtempSync(join(tmpdir(), "pims-tenants-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = loadConfig({});
const twilio = loadConfig({
  PIMS_MODE: "development",
  PIMS_SMS_PROVIDER: "twilio",
  PIMS_TWILIO_ACCOUNT_SID: "AC123",
  PIMS_TWILIO_AUTH_TOKEN: "token",
  PIMS_TWILIO_FROM: "+15550001111",
});

let count = 0;
/** Writes `text` to a fresh file of the temp dir and returns its path. */
function file(text: string, extension = "yaml"): string {
  const path = join(dir, `tenants-${++count}.${extension}`);
  writeFileSync(path, text);
  return path;
}

/** The problems `loadTenantsFile` reports for `text` (fails the test if it accepts it). */
function problemsOf(
  text: string,
  extension = "yaml",
  config: Config = deployment,
): { path: string; problems: readonly string[] } {
  const path = file(text, extension);
  try {
    loadTenantsFile(path, config);
  } catch (error) {
    if (error instanceof ConfigError) return { path, problems: error.problems };
    throw error;
  }
  throw new Error("the tenants file was accepted");
}

const TWO_BRANDS = `# two brands, one deployment
tenants:
  - id: peugeot
    name: Peugeot
    apps:
      - clientId: 6779ef20e75817b79602
        name: Peugeot iOS
      - clientId: peugeot.android
        name: Peugeot Android
        disabled: true
    policy:
      pin: { length: 6, blockCommon: true, maxFailures: 3 }
      otp: { length: 8, ttlSeconds: 60 }
      phone: { defaultRegion: fr, countries: [FR, BE] }
      sms:
        codeLength: 6
        codeTtlSeconds: 300
        language: fr
        quotas: { perPhoneHour: 3 }
      cors: { origins: ["https://www.peugeot.example"] }
  - id: opel
    name: Opel
    disabled: false
    apps:
      - { clientId: opel-ios-0001, name: Opel iOS }
    policy:
      pin: { minLength: 4, maxLength: 8, maxFailures: 5 }
      phone: { defaultRegion: DE, countries: [DE, AT] }
      sms: { language: en }
      oidc: { issuer: "https://login.opel.example", audience: pims }
  - id: default
    name: Default
    disabled: true
`;

describe("loadTenantsFile", () => {
  it("reads a YAML file: tenants, apps, defaults and policies", () => {
    const tenants = loadTenantsFile(file(TWO_BRANDS), deployment);
    expect(tenants.map((t) => [t.id, t.name, t.disabled])).toEqual([
      ["peugeot", "Peugeot", false],
      ["opel", "Opel", false],
      ["default", "Default", true],
    ]);
    expect(tenants[0]?.apps).toEqual([
      { clientId: "6779ef20e75817b79602", name: "Peugeot iOS", disabled: false },
      { clientId: "peugeot.android", name: "Peugeot Android", disabled: true },
    ]);
    expect(tenants[0]?.policy).toEqual({
      pin: { blockCommon: true, maxFailures: 3, minLength: 6, maxLength: 6 },
      otp: { length: 8, ttlSeconds: 60 },
      phone: { defaultRegion: "FR", countries: ["FR", "BE"] },
      sms: { codeLength: 6, codeTtlSeconds: 300, language: "fr", quotas: { perPhoneHour: 3 } },
      cors: { origins: ["https://www.peugeot.example"] },
    });
    expect(tenants[2]).toEqual({ id: "default", name: "Default", disabled: true, apps: [], policy: {} });
  });

  it("reads the same tenants from a JSON file", () => {
    const json = JSON.stringify(
      {
        tenants: [
          {
            id: "peugeot",
            name: "Peugeot",
            apps: [{ clientId: "6779ef20e75817b79602", name: "Peugeot iOS" }],
            policy: { pin: { length: 6 }, sms: { quotas: { perPhoneHour: 3 } } },
          },
          { id: "opel", name: "Opel", policy: { otp: { ttlSeconds: 90 } } },
        ],
      },
      null,
      "\t",
    );
    const tenants = loadTenantsFile(file(json, "json"), deployment);
    expect(tenants).toEqual([
      {
        id: "peugeot",
        name: "Peugeot",
        disabled: false,
        apps: [{ clientId: "6779ef20e75817b79602", name: "Peugeot iOS", disabled: false }],
        policy: { pin: { minLength: 6, maxLength: 6 }, sms: { quotas: { perPhoneHour: 3 } } },
      },
      { id: "opel", name: "Opel", disabled: false, apps: [], policy: { otp: { ttlSeconds: 90 } } },
    ]);
  });

  it("names the line of an unknown key, at any depth", () => {
    const { path, problems } = problemsOf(
      "tenants:\n  - id: peugeot\n    name: Peugeot\n    colour: blue\n    policy:\n      pin:\n        lenght: 6\n      pinn: {}\n",
    );
    expect(problems).toEqual([
      `unknown key \`colour\` at ${path}:4 (\`tenants[0]\` takes id, name, disabled, apps, policy)`,
      `unknown key \`pinn\` at ${path}:8 (\`policy\` takes pin, otp, phone, sms, oidc, cors)`,
      `unknown key \`lenght\` at ${path}:7 (\`policy.pin\` takes length, minLength, maxLength, blockCommon, blocklist, maxFailures)`,
    ]);
  });

  it("names the line of an unknown key in a JSON file", () => {
    const { path, problems } = problemsOf(
      '{\n  "tenants": [\n    {\n      "id": "a",\n      "nmae": "A"\n    }\n  ]\n}\n',
      "json",
    );
    expect(problems).toEqual([
      `unknown key \`nmae\` at ${path}:5 (\`tenants[0]\` takes id, name, disabled, apps, policy)`,
      `\`tenants[0]\` at ${path}:3 needs \`name\``,
    ]);
  });

  it("names both lines of a duplicate tenant id, even when one of them has other problems", () => {
    // A second declaration of a brand would otherwise silently replace (or merge into) the first's policy.
    const { path, problems } = problemsOf(
      "tenants:\n  - id: peugeot\n    name: Peugeot\n  - id: opel\n    name: Opel\n  - id: peugeot\n    name: Peugeot again\n    policy: { pin: { maxFailures: 0 } }\n",
    );
    expect(problems).toEqual([
      `duplicate tenant id \`peugeot\` at ${path}:6, first at ${path}:2`,
      `\`policy.pin.maxFailures\` at ${path}:8 must be between 1 and 100 (as PIMS_PIN_MAX_FAILURES), got 0`,
    ]);
  });

  it("names both lines of a client id used twice, in one tenant or across two", () => {
    // One client id in two tenants would let one brand's app open sessions in the other brand's tenant.
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: peugeot",
        "    name: Peugeot",
        "    apps:",
        "      - { clientId: shared-client-1, name: iOS }",
        "  - id: opel",
        "    name: Opel",
        "    apps:",
        "      - { clientId: opel-client-1, name: iOS }",
        "      - { clientId: shared-client-1, name: Android }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([`duplicate client id \`shared-client-1\` at ${path}:10, first at ${path}:5`]);
  });

  it("names the line of a duplicate key in one mapping (YAML) and of invalid JSON", () => {
    const yaml = problemsOf("tenants:\n  - id: a\n    name: A\n    id: b\n");
    expect(yaml.problems).toEqual([`not YAML at ${yaml.path}:4: Map keys must be unique`]);
    const json = problemsOf('{\n  "tenants": [\n    {"id": "a", "name": "A",}\n  ]\n}\n', "json");
    expect(json.problems).toHaveLength(1);
    expect(json.problems[0]).toMatch(new RegExp(`^not JSON at ${json.path.replace(/[.\\]/g, "\\$&")}:3: `));
  });

  it("names the line of each value of a wrong type", () => {
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: 42",
        "    name: Peugeot",
        "    disabled: no",
        "    apps: { clientId: x }",
        "    policy:",
        "      pin:",
        '        maxFailures: "3"',
        "      otp: { length: 7.5 }",
        "      phone: { countries: FR }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([
      `\`tenants[0].id\` at ${path}:2 must be a string, got 42`,
      `\`tenants[0].disabled\` at ${path}:4 must be true or false, got "no"`,
      `\`tenants[0].apps\` at ${path}:5 must be a list, got a mapping`,
      `\`policy.pin.maxFailures\` at ${path}:8 must be a whole number, got "3"`,
      `\`policy.otp.length\` at ${path}:9 must be a whole number, got 7.5`,
      `\`policy.phone.countries\` at ${path}:10 must be a list, got "FR"`,
    ]);
  });

  it("refuses ids that do not match, reserved ids and bad client ids, naming the line", () => {
    // A file declaring `_deployment` would turn the deployment-wide counters into a tenant anyone's app can reach.
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: Peugeot",
        "    name: Peugeot",
        "  - id: _deployment",
        "    name: Deployment",
        "    apps:",
        "      - { clientId: short, name: iOS }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([
      `tenant id \`Peugeot\` at ${path}:2 must match ^[a-z0-9][a-z0-9-]{0,31}$ (lower-case letters, digits, -)`,
      `tenant id \`_deployment\` at ${path}:4 is reserved (ids starting with _ are the deployment's)`,
      `client id \`short\` at ${path}:7 must match ^[A-Za-z0-9._-]{8,128}$ (8 to 128 letters, digits, . _ -)`,
    ]);
  });

  it("refuses a policy value out of the deployment's range, naming the line and the variable", () => {
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: peugeot",
        "    name: Peugeot",
        "    policy:",
        "      pin: { length: 13 }",
        "      otp:",
        "        ttlSeconds: 901",
        "      sms: { quotas: { perPhoneDay: 0 } }",
        "      cors: { origins: ['https://*.peugeot.example'] }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([
      `\`policy.pin.minLength\` at ${path}:5 must be between 4 and 12 (as PIMS_PIN_MIN_LENGTH), got 13`,
      `\`policy.pin.maxLength\` at ${path}:5 must be between 4 and 12 (as PIMS_PIN_MAX_LENGTH), got 13`,
      `\`policy.otp.ttlSeconds\` at ${path}:7 must be between 1 and 900 (as PIMS_OTP_TTL), got 901`,
      `\`policy.sms.quotas.perPhoneDay\` at ${path}:8 must be between 1 and 100000 (as PIMS_SMS_PER_PHONE_DAY), got 0`,
      `\`policy.cors.origins\` at ${path}:9 takes exact origins such as https://app.example.com, got "https://*.peugeot.example": wildcards are not allowed, name each origin`,
    ]);
  });

  it("refuses a minimum PIN length above the deployment's maximum, naming the line", () => {
    // The deployment's PIN lengths are 4 to 8: a tenant's minLength of 9 alone leaves min above max.
    const { path, problems } = problemsOf(
      "tenants:\n  - id: a\n    name: A\n    policy:\n      pin:\n        minLength: 9\n",
    );
    expect(problems).toEqual([
      `\`policy.pin.minLength\` at ${path}:6 leaves pin.minLength (9) above pin.maxLength (8)`,
    ]);
  });

  it("refuses settings Config has no field for, with the reason, rather than ignoring them", () => {
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: a",
        "    name: A",
        "    policy:",
        "      sms:",
        "        languages: [fr, en]",
        "      oidc: { issuers: [https://idp.example] }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([
      `\`policy.sms.languages\` at ${path}:6 is not supported: the server knows en and fr; a tenant sets its fallback with \`sms.language\``,
      `\`policy.oidc.issuers\` at ${path}:7 is not supported: one issuer per tenant: \`oidc.issuer\` and \`oidc.audience\``,
    ]);
  });

  it("takes a tenant's own PIN blocklist, quoted PINs of 4 to 12 digits", () => {
    const [tenant] = loadTenantsFile(
      file('tenants:\n  - id: a\n    name: A\n    policy:\n      pin: { blocklist: ["1905", "19051905"] }\n'),
      deployment,
    );
    const pin = applyTenantPolicy(deployment, tenant?.policy ?? {}).pin;
    expect(pin.blocked).toEqual(["1905", "19051905"]);
    expect(pin.minLength).toBe(deployment.pin.minLength);
    const { path, problems } = problemsOf(
      'tenants:\n  - id: a\n    name: A\n    policy:\n      pin: { blocklist: ["12", 1905] }\n',
    );
    expect(problems).toEqual([`\`policy.pin.blocklist\` at ${path}:5 must be a string, got 1905`]);
  });

  it("takes a tenant's own texts, each with its code, and refuses an unknown placeholder, language or purpose", () => {
    const { path, problems } = problemsOf(
      [
        "tenants:",
        "  - id: a",
        "    name: A",
        "    policy:",
        "      sms:",
        "        texts:",
        "          en: { enrollment: 'Hello {name}: {code}', resetPin: 'no code here' }",
        "          de: { enrollment: '{code}' }",
        "          fr: { welcome: '{code}' }",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([
      `unknown key \`de\` at ${path}:8 (\`policy.sms.texts\` takes en, fr)`,
      `unknown key \`welcome\` at ${path}:9 (\`policy.sms.texts.fr\` takes enrollment, certification, resetPin, phoneChanged)`,
    ]);
    const second = problemsOf(
      "tenants:\n  - id: a\n    name: A\n    policy:\n      sms:\n        texts:\n          en: { enrollment: 'Hello {name}: {code}', resetPin: 'no code here' }\n",
    );
    expect(second.problems).toEqual([
      `\`policy.sms.texts.en.enrollment\` at ${second.path}:7 names \`{name}\`; a text takes {code}, {minutes}, {brand}, {ending}`,
      `\`policy.sms.texts.en.resetPin\` at ${second.path}:7 must contain {code}: it is the message that carries the code`,
    ]);
    const [tenant] = loadTenantsFile(
      file(
        "tenants:\n  - id: a\n    name: A\n    policy:\n      sms: { brand: Acme, texts: { fr: { enrollment: 'Acme : {code}' } } }\n",
      ),
      deployment,
    );
    const sms = applyTenantPolicy(deployment, tenant?.policy ?? {}).sms;
    expect(sms.brand).toBe("Acme");
    expect(sms.texts).toEqual({ fr: { enrollment: "Acme : {code}" } });
  });

  it("takes a sender id for every provider, and refuses one a messaging service would ignore", () => {
    const text = "tenants:\n  - id: a\n    name: A\n    policy:\n      sms: { senderId: PEUGEOT }\n";
    const [onConsole] = loadTenantsFile(file(text), deployment);
    expect(applyTenantPolicy(deployment, onConsole?.policy ?? {}).sms.senderId).toBe("PEUGEOT");
    const [onTwilio] = loadTenantsFile(file(text), twilio);
    expect(applyTenantPolicy(twilio, onTwilio?.policy ?? {}).sms.senderId).toBe("PEUGEOT");
    expect(
      problemsOf("tenants:\n  - id: a\n    name: A\n    policy:\n      sms: { senderId: 'not-an-id!' }\n").problems,
    ).toHaveLength(1);
  });

  it("reports every problem of the file at once", () => {
    const { problems } = problemsOf(
      "tenants:\n  - id: A\n    name: A\n    policy: { pin: { maxFailures: 0 } }\n  - name: B\n",
    );
    expect(problems).toHaveLength(3);
  });

  it("says which file cannot be read, and refuses a file without a tenants list", () => {
    const missing = join(dir, "missing.yaml");
    expect(() => loadTenantsFile(missing, deployment)).toThrow(
      new ConfigError(`PIMS_TENANTS_FILE ${missing} cannot be read (ENOENT)`),
    );
    const { path, problems } = problemsOf("brands: []\n");
    expect(problems).toEqual([
      `unknown key \`brands\` at ${path}:1 (the file takes tenants)`,
      `the file must have a \`tenants\` list at ${path}:1`,
    ]);
  });
});

describe("applyTenantPolicy", () => {
  it("changes only the settings the policy names; every other setting is the deployment's", () => {
    const effective = applyTenantPolicy(deployment, {
      pin: { minLength: 6, maxLength: 6, maxFailures: 3 },
      sms: { codeLength: 8, quotas: { perPhoneHour: 2 } },
      cors: { origins: ["https://www.peugeot.example"] },
    });
    expect(effective).toEqual({
      ...deployment,
      pin: { ...deployment.pin, minLength: 6, maxLength: 6, maxFailures: 3 },
      sms: { ...deployment.sms, codeLength: 8, quotas: { ...deployment.sms.quotas, perPhoneHour: 2 } },
      cors: { ...deployment.cors, origins: ["https://www.peugeot.example"] },
    });
    expect(applyTenantPolicy(deployment, {})).toEqual(deployment);
  });

  it("gives a new issuer the policy's JWK Set or none, never the deployment issuer's", () => {
    const oidc = loadConfig({
      PIMS_OIDC_ISSUER: "https://idp.example",
      PIMS_OIDC_AUDIENCE: "pims",
      PIMS_OIDC_JWKS_URL: "https://idp.example/jwks",
    });
    expect(applyTenantPolicy(oidc, { oidc: { issuer: "https://login.opel.example" } }).oidc).toEqual({
      issuer: "https://login.opel.example",
      audience: "pims",
      jwksUrl: undefined,
    });
    expect(applyTenantPolicy(oidc, { oidc: { audience: "opel" } }).oidc).toEqual({
      issuer: "https://idp.example",
      audience: "opel",
      jwksUrl: "https://idp.example/jwks",
    });
    expect(() => applyTenantPolicy(deployment, { oidc: { issuer: "https://login.opel.example" } })).toThrow(
      "`policy.oidc` needs both issuer and audience (the deployment has no PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE)",
    );
  });

  it("refuses, as the variable would, a value out of range in a policy built in code", () => {
    expect(() => applyTenantPolicy(deployment, { otp: { length: 5 } })).toThrow(
      new ConfigError("`policy.otp.length` must be between 6 and 10 (as PIMS_OTP_LENGTH), got 5"),
    );
    // A production deployment refuses http: origins for a tenant as for itself.
    const production = { ...deployment, mode: "production" } as const;
    expect(() => applyTenantPolicy(production, { cors: { origins: ["http://www.opel.example"] } })).toThrow(
      /in production an origin must be https:/,
    );
  });
});

describe("docs/tenants.md", () => {
  it("has an example the loader takes as documented: two brands and the default tenant disabled", async () => {
    const page = readFileSync(new URL("../../../../docs/tenants.md", import.meta.url), "utf8");
    const example = /```yaml\n([\s\S]*?)```/.exec(page)?.[1] ?? "";
    const tenants = loadTenantsFile(file(example), twilio);
    expect(tenants.map((t) => [t.id, t.disabled, t.apps.map((a) => a.clientId)])).toEqual([
      ["peugeot", false, ["6779ef20e75817b79602", "peugeot-android-01"]],
      ["opel", false, ["opel-ios-0000000001"]],
      ["default", true, []],
    ]);
    const peugeot = applyTenantPolicy(twilio, tenants[0]?.policy ?? {});
    const opel = applyTenantPolicy(twilio, tenants[1]?.policy ?? {});
    expect([peugeot.pin.minLength, peugeot.pin.maxLength, peugeot.pin.maxFailures]).toEqual([6, 6, 3]);
    expect([opel.pin.minLength, opel.pin.maxLength, opel.pin.maxFailures]).toEqual([4, 8, 5]);
    expect([peugeot.sms.senderId, opel.sms.senderId]).toEqual(["PEUGEOT", "OPEL"]);
    expect(opel.oidc).toEqual({ issuer: "https://login.opel.example", audience: "pims", jwksUrl: undefined });
  });

  it("refuses a blocked PIN that is not 4 to 12 digits", () => {
    const { path, problems } = problemsOf(
      "tenants:\n  - id: a\n    name: A\n    policy:\n      pin:\n        blocklist: ['123', '12345678901234']\n",
    );
    expect(problems).toEqual([
      `\`policy.pin.blocklist\` at ${path}:6 takes PINs of 4 to 12 digits (quoted, as strings), got "123"`,
      `\`policy.pin.blocklist\` at ${path}:6 takes PINs of 4 to 12 digits (quoted, as strings), got "12345678901234"`,
    ]);
  });
});
