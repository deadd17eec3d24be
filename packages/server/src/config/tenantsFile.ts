import { readFileSync } from "node:fs";
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from "yaml";
import {
  type Config,
  type OtpSettings,
  type PhoneSettings,
  type PinSettings,
  SMS_PLACEHOLDERS as PLACEHOLDERS,
  type SmsQuotas,
  type SmsSettings,
  type SmsTexts,
  SMS_TEXT_PURPOSES as TEXT_PURPOSES,
} from "./Config.js";
import { ConfigError } from "./ConfigError.js";
import { exactOrigin } from "./corsSettings.js";
import { isRegion, RANGES, SMS_BRAND } from "./loadConfig.js";

/** A brand served by the deployment, as the tenants file declares it (docs/tenants.md). */
export interface TenantDeclaration {
  /** `^[a-z0-9][a-z0-9-]{0,31}$`; `default` is the tenant of requests without a client id. */
  readonly id: string;
  readonly name: string;
  readonly disabled: boolean;
  /** The apps whose `Pims-Client-Id` selects this tenant; each client id unique in the file. */
  readonly apps: readonly AppDeclaration[];
  /** What differs from the deployment's configuration; {@link applyTenantPolicy} gives the tenant's. */
  readonly policy: TenantPolicy;
}

export interface AppDeclaration {
  /** `^[A-Za-z0-9._-]{8,128}$`. */
  readonly clientId: string;
  readonly name: string;
  readonly disabled: boolean;
}

/**
 * The settings a tenant may set, each named as in {@link Config}; an absent one is the deployment's.
 * Validated by {@link applyTenantPolicy} with the deployment's rules (the same ranges as the variables).
 */
export interface TenantPolicy {
  readonly pin?: Partial<Pick<PinSettings, "minLength" | "maxLength" | "blockCommon" | "maxFailures">> & {
    /** PINs refused besides the common ones (`PinSettings.blocked`). */
    readonly blocklist?: readonly string[];
  };
  readonly otp?: Partial<Pick<OtpSettings, "length" | "ttlSeconds" | "maxFailedVerifications">>;
  readonly phone?: Partial<Pick<PhoneSettings, "defaultRegion" | "countries" | "mobileOnly">>;
  readonly sms?: Partial<Pick<SmsSettings, "codeLength" | "codeTtlSeconds" | "maxTriesPerCode" | "language">> & {
    readonly quotas?: Partial<SmsQuotas>;
    /** The sender the tenant's SMS show (`sms.senderId`: Twilio's `From`, the webhook's `from`). */
    readonly senderId?: string;
    /** The name its texts give (`{brand}`); default: the tenant's name. */
    readonly brand?: string;
    /** Its own texts, replacing the built-in ones: by language, then purpose. */
    readonly texts?: SmsTexts;
  };
  /** Replaces the deployment's OpenID Connect issuer (`jwksUrl` is kept only when `issuer` is not set). */
  readonly oidc?: { readonly issuer?: string; readonly audience?: string; readonly jwksUrl?: string };
  /** Replaces the deployment's `PIMS_CORS_ORIGINS` (the preflight cache, `maxAgeSeconds`, stays the deployment's). */
  readonly cors?: { readonly origins?: readonly string[] };
}

/** Where a policy's setting is written (`pin.minLength` → ` at tenants.yaml:9`), for the messages. */
/** Ids of tenants: short lower-case names; those starting with "_" are the deployment's own. */
export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A client id: public, printable, long enough not to be guessed by accident (decision 0028). */
export const CLIENT_ID = /^[A-Za-z0-9._-]{8,128}$/;

export type PolicyLocator = (setting: string) => string;

const NAME_MAX = 100;

/** The variable each whole-number policy setting shares its range with. */
const INTEGERS: Readonly<Record<string, keyof typeof RANGES>> = {
  "pin.minLength": "PIMS_PIN_MIN_LENGTH",
  "pin.maxLength": "PIMS_PIN_MAX_LENGTH",
  "pin.maxFailures": "PIMS_PIN_MAX_FAILURES",
  "otp.length": "PIMS_OTP_LENGTH",
  "otp.ttlSeconds": "PIMS_OTP_TTL",
  "otp.maxFailedVerifications": "PIMS_OTP_MAX_FAILED_VERIFICATIONS",
  "sms.codeLength": "PIMS_SMS_CODE_LENGTH",
  "sms.codeTtlSeconds": "PIMS_SMS_CODE_TTL",
  "sms.maxTriesPerCode": "PIMS_SMS_CODE_MAX_TRIES",
  "sms.quotas.perPhoneHour": "PIMS_SMS_PER_PHONE_HOUR",
  "sms.quotas.perPhoneDay": "PIMS_SMS_PER_PHONE_DAY",
  "sms.quotas.perTrustedPhoneHour": "PIMS_SMS_PER_TRUSTED_PHONE_HOUR",
  "sms.quotas.perTrustedPhoneDay": "PIMS_SMS_PER_TRUSTED_PHONE_DAY",
  "sms.quotas.perAccountHour": "PIMS_SMS_PER_ACCOUNT_HOUR",
  "sms.quotas.perAccountDay": "PIMS_SMS_PER_ACCOUNT_DAY",
  "sms.quotas.perAddressHour": "PIMS_SMS_PER_ADDRESS_HOUR",
  "sms.quotas.perAddressDay": "PIMS_SMS_PER_ADDRESS_DAY",
};

/** Keys the file takes that {@link Config} has no field for (yet): refused with the reason, not ignored. */
const NOT_SUPPORTED: Readonly<Record<string, string>> = {
  "sms.languages": "the server knows en and fr; a tenant sets its fallback with `sms.language`",
  "sms.allowedCountries": "allowed countries are `phone.countries` (PIMS_PHONE_COUNTRIES)",
  "sms.ttlSeconds": "the SMS code's lifetime is `sms.codeTtlSeconds` (PIMS_SMS_CODE_TTL)",
  "oidc.issuers": "one issuer per tenant: `oidc.issuer` and `oidc.audience`",
};

/**
 * The tenant's effective configuration: `deployment` with the settings `policy` names replaced
 * (nested settings merged key by key). Throws one {@link ConfigError} listing every value the
 * deployment's rules refuse, each naming its setting and, with `locate`, its line.
 *
 * @example
 * const peugeot = applyTenantPolicy(config, { pin: { minLength: 6, maxLength: 6 } });
 */
export function applyTenantPolicy(deployment: Config, policy: TenantPolicy, locate: PolicyLocator = () => ""): Config {
  const problems: string[] = [];
  const named = (setting: string) => `\`policy.${setting}\`${locate(setting)}`;
  const integer = (setting: string, value: number | undefined): void => {
    if (value === undefined) return;
    const variable = INTEGERS[setting] as keyof typeof RANGES;
    const [min, max] = RANGES[variable];
    if (!Number.isInteger(value)) problems.push(`${named(setting)} must be a whole number, got ${value}`);
    else if (value < min || value > max) {
      problems.push(`${named(setting)} must be between ${min} and ${max} (as ${variable}), got ${value}`);
    }
  };
  for (const section of ["pin", "otp", "sms"] as const) {
    for (const [key, value] of Object.entries(policy[section] ?? {})) {
      if (`${section}.${key}` in INTEGERS) integer(`${section}.${key}`, value as number | undefined);
    }
  }
  for (const [key, value] of Object.entries(policy.sms?.quotas ?? {})) integer(`sms.quotas.${key}`, value);

  const { blocklist, ...pinPolicy } = policy.pin ?? {};
  const pin = { ...merge(deployment.pin, pinPolicy), ...(blocklist ? { blocked: blocklist } : {}) };
  for (const blocked of blocklist ?? []) {
    if (!/^[0-9]{4,12}$/.test(blocked))
      problems.push(`${named("pin.blocklist")} takes PINs of 4 to 12 digits (quoted, as strings), got "${blocked}"`);
  }
  if ((blocklist?.length ?? 0) > 10_000) problems.push(`${named("pin.blocklist")} takes at most 10000 PINs`);
  if (pin.minLength > pin.maxLength) {
    const which = policy.pin?.minLength !== undefined ? "minLength" : "maxLength";
    problems.push(
      `${named(`pin.${which}`)} leaves pin.minLength (${pin.minLength}) above pin.maxLength (${pin.maxLength})`,
    );
  }

  const phone = merge(deployment.phone, policy.phone);
  if (policy.phone?.defaultRegion !== undefined && !isRegion(policy.phone.defaultRegion)) {
    problems.push(
      `${named("phone.defaultRegion")} takes an ISO 3166 code such as FR, got "${policy.phone.defaultRegion}"`,
    );
  }
  for (const country of policy.phone?.countries ?? []) {
    if (!isRegion(country))
      problems.push(`${named("phone.countries")} takes ISO 3166 codes such as FR, got "${country}"`);
  }

  let sms: SmsSettings = merge(deployment.sms, {
    ...policy.sms,
    senderId: undefined,
    quotas: undefined,
    texts: undefined,
  });
  if (policy.sms?.brand !== undefined && !SMS_BRAND.test(policy.sms.brand))
    problems.push(
      `${named("sms.brand")} must be 1 to 30 printable characters without braces, got "${policy.sms.brand}"`,
    );
  for (const [language, purposes] of Object.entries(policy.sms?.texts ?? {})) {
    for (const [purpose, text] of Object.entries(purposes ?? {})) {
      const setting = `sms.texts.${language}.${purpose}`;
      const unknown = [...(text as string).matchAll(/\{([^}]*)\}/g)]
        .map((match) => match[1] ?? "")
        .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
      if ((text as string).length > 320) problems.push(`${named(setting)} must be at most 320 characters`);
      else if (unknown.length > 0)
        problems.push(`${named(setting)} names \`{${unknown[0]}}\`; a text takes {${PLACEHOLDERS.join("}, {")}}`);
      else if (purpose !== "phoneChanged" && !(text as string).includes("{code}"))
        problems.push(`${named(setting)} must contain {code}: it is the message that carries the code`);
    }
  }
  if (policy.sms?.texts) sms = { ...sms, texts: policy.sms.texts };
  if (policy.sms?.quotas) sms = { ...sms, quotas: merge(deployment.sms.quotas, policy.sms.quotas) };
  if (policy.sms?.language !== undefined && policy.sms.language !== "en" && policy.sms.language !== "fr") {
    problems.push(`${named("sms.language")} must be one of en, fr, got "${policy.sms.language}"`);
  }
  const senderId = policy.sms?.senderId;
  if (senderId !== undefined) {
    if (!/^\+[1-9][0-9]{6,14}$/.test(senderId) && !/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(senderId)) {
      problems.push(
        `${named("sms.senderId")} must be an E.164 number or 1 to 11 letters, digits and spaces with a letter, got "${senderId}"`,
      );
    } else if (sms.twilio?.messagingServiceSid) {
      problems.push(
        `${named("sms.senderId")} cannot apply: PIMS_TWILIO_MESSAGING_SERVICE_SID is set and the messaging service picks the sender`,
      );
    } else {
      sms = { ...sms, senderId };
    }
  }

  let oidc = deployment.oidc;
  if (policy.oidc) {
    const issuer = policy.oidc.issuer ?? deployment.oidc?.issuer;
    const audience = policy.oidc.audience ?? deployment.oidc?.audience;
    for (const key of ["issuer", "audience", "jwksUrl"] as const) {
      if (policy.oidc[key] === "") problems.push(`${named(`oidc.${key}`)} must not be empty`);
    }
    if (issuer === undefined || audience === undefined) {
      problems.push(
        `${named("oidc")} needs both issuer and audience (the deployment has no PIMS_OIDC_ISSUER and PIMS_OIDC_AUDIENCE)`,
      );
    } else {
      // A new issuer's keys are not the deployment issuer's: its JWK Set is the policy's, or discovered.
      const jwksUrl = policy.oidc.jwksUrl ?? (policy.oidc.issuer === undefined ? deployment.oidc?.jwksUrl : undefined);
      oidc = { issuer, audience, jwksUrl };
    }
  }

  let cors = deployment.cors;
  if (policy.cors?.origins !== undefined) {
    const origins: string[] = [];
    for (const origin of policy.cors.origins) {
      try {
        origins.push(exactOrigin(origin, deployment.mode, named("cors.origins")));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems);
      }
    }
    cors = { ...cors, origins: [...new Set(origins)] };
  }

  if (problems.length > 0) throw ConfigError.of(problems);
  return {
    ...deployment,
    pin,
    otp: merge(deployment.otp, policy.otp),
    phone,
    sms,
    oidc,
    cors,
  };
}

/** `base` with the keys `over` sets (an undefined value sets nothing). */
function merge<T extends object>(base: T, over: object | undefined): T {
  const result = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over ?? {})) if (value !== undefined) result[key] = value;
  return result as T;
}

/**
 * Reads the tenants file (`.yaml`, `.yml` or `.json`; docs/tenants.md) and checks it against
 * `deployment`: each tenant's policy must give a configuration the deployment's rules accept.
 * Throws one {@link ConfigError} listing every problem, each naming `file:line`: an unknown key,
 * a wrong type, a duplicate tenant id or client id (both lines), a refused value.
 *
 * @example
 * const tenants = config.tenantsFile ? loadTenantsFile(config.tenantsFile, config) : [];
 */
export function loadTenantsFile(path: string, deployment: Config): TenantDeclaration[] {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(`PIMS_TENANTS_FILE ${path} cannot be read (${code})`);
  }
  return parseTenants(path, source, deployment);
}

/** {@link loadTenantsFile} on text already read (`file` names it in the messages). */
export function parseTenants(file: string, source: string, deployment: Config): TenantDeclaration[] {
  const lines = new LineCounter();
  const lineOf = (offset: number) => `${file}:${lines.linePos(offset).line}`;
  const json = /\.json$/i.test(file);
  if (!json && !/\.ya?ml$/i.test(file)) {
    throw new ConfigError(`PIMS_TENANTS_FILE ${file} must end in .yaml, .yml or .json`);
  }
  const document = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw ConfigError.of(
      document.errors.map((error) => {
        const what = error.message.split(" at line ")[0];
        return `${json ? "not JSON" : "not YAML"} at ${lineOf(error.pos[0])}: ${what}`;
      }),
    );
  }
  if (json) {
    try {
      JSON.parse(source);
    } catch (error) {
      // YAML accepts more than JSON (comments, unquoted keys): a .json file is JSON.
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      const where = position === undefined ? file : lineOf(Number(position));
      throw new ConfigError(`not JSON at ${where}: ${(error as Error).message.split(" in JSON")[0]}`);
    }
  }
  const reader = new Reader(lineOf);
  const tenants = reader.document(document.contents, deployment);
  if (reader.problems.length > 0) throw ConfigError.of(reader.problems);
  return tenants;
}

type Entries = Map<string, { readonly key: Scalar; readonly value: Node | null }>;

/** Walks the document, recording each problem with its line (all of them, not only the first). */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly lineOf: (offset: number) => string) {}

  document(root: Node | null, deployment: Config): TenantDeclaration[] {
    const top = this.mapping(root, "the file", ["tenants"]);
    if (!top) return [];
    const list = top.get("tenants");
    if (!list) {
      this.problems.push(`the file must have a \`tenants\` list at ${this.at(root)}`);
      return [];
    }
    if (!isSeq(list.value)) {
      this.wrongType(list.value, "`tenants`", "a list", list.key);
      return [];
    }
    const tenants: TenantDeclaration[] = [];
    const ids = new Map<string, Node>();
    const clientIds = new Map<string, Node>();
    for (const [index, item] of list.value.items.entries()) {
      const tenant = this.tenant(item as Node | null, `tenants[${index}]`, deployment, ids, clientIds);
      if (tenant) tenants.push(tenant);
    }
    return tenants;
  }

  tenant(
    node: Node | null,
    path: string,
    deployment: Config,
    ids: Map<string, Node>,
    clientIds: Map<string, Node>,
  ): TenantDeclaration | undefined {
    const entries = this.mapping(node, `\`${path}\``, ["id", "name", "disabled", "apps", "policy"]);
    if (!entries) return undefined;
    const idEntry = this.required(entries, "id", path, node);
    const nameEntry = this.required(entries, "name", path, node);
    const id = idEntry && this.string(idEntry.value, `${path}.id`, idEntry.key);
    if (id !== undefined && idEntry) {
      if (id.startsWith("_")) {
        this.problems.push(
          `tenant id \`${id}\` at ${this.at(idEntry.value)} is reserved (ids starting with _ are the deployment's)`,
        );
      } else if (!TENANT_ID.test(id)) {
        this.problems.push(
          `tenant id \`${id}\` at ${this.at(idEntry.value)} must match ^[a-z0-9][a-z0-9-]{0,31}$ (lower-case letters, digits, -)`,
        );
      }
      const first = ids.get(id);
      if (first) {
        this.problems.push(`duplicate tenant id \`${id}\` at ${this.at(idEntry.value)}, first at ${this.at(first)}`);
      } else if (idEntry.value) ids.set(id, idEntry.value);
    }
    const name = nameEntry && this.name(nameEntry, `${path}.name`);
    const disabled = this.optionalBoolean(entries, "disabled", path) ?? false;
    const apps: AppDeclaration[] = [];
    const appsEntry = entries.get("apps");
    if (appsEntry) {
      if (!isSeq(appsEntry.value)) this.wrongType(appsEntry.value, `\`${path}.apps\``, "a list", appsEntry.key);
      else {
        for (const [index, item] of appsEntry.value.items.entries()) {
          const app = this.app(item as Node | null, `${path}.apps[${index}]`, clientIds);
          if (app) apps.push(app);
        }
      }
    }
    const policyEntry = entries.get("policy");
    const policy = policyEntry ? this.policy(policyEntry.value, policyEntry.key, deployment) : {};
    if (id === undefined || name === undefined || !policy) return undefined;
    return { id, name, disabled, apps, policy };
  }

  app(node: Node | null, path: string, clientIds: Map<string, Node>): AppDeclaration | undefined {
    const entries = this.mapping(node, `\`${path}\``, ["clientId", "name", "disabled"]);
    if (!entries) return undefined;
    const idEntry = this.required(entries, "clientId", path, node);
    const nameEntry = this.required(entries, "name", path, node);
    const clientId = idEntry && this.string(idEntry.value, `${path}.clientId`, idEntry.key);
    if (clientId !== undefined && idEntry?.value) {
      if (!CLIENT_ID.test(clientId)) {
        this.problems.push(
          `client id \`${clientId}\` at ${this.at(idEntry.value)} must match ^[A-Za-z0-9._-]{8,128}$ (8 to 128 letters, digits, . _ -)`,
        );
      }
      const first = clientIds.get(clientId);
      if (first) {
        this.problems.push(
          `duplicate client id \`${clientId}\` at ${this.at(idEntry.value)}, first at ${this.at(first)}`,
        );
      } else clientIds.set(clientId, idEntry.value);
    }
    const name = nameEntry && this.name(nameEntry, `${path}.name`);
    const disabled = this.optionalBoolean(entries, "disabled", path) ?? false;
    if (clientId === undefined || name === undefined) return undefined;
    return { clientId, name, disabled };
  }

  /** The policy, checked against the deployment's rules; undefined when a problem was found. */
  policy(node: Node | null, key: Scalar, deployment: Config): TenantPolicy | undefined {
    const before = this.problems.length;
    const where = new Map<string, Node>();
    const sectionsRead: Record<string, Entries> = {};
    const section = (name: string, known: readonly string[]): Entries | undefined => {
      const entry = sections?.get(name);
      if (!entry) return undefined;
      where.set(name, entry.value ?? entry.key);
      const unsupported = Object.keys(NOT_SUPPORTED)
        .filter((setting) => setting.startsWith(`${name}.`))
        .map((setting) => setting.slice(name.length + 1));
      const entries = this.mapping(entry.value, `\`policy.${name}\``, known, entry.key, unsupported);
      if (entries) sectionsRead[name] = entries;
      return entries;
    };
    const sections = this.mapping(node, "`policy`", ["pin", "otp", "phone", "sms", "oidc", "cors"], key);
    const policy: Record<string, Record<string, unknown>> = {};
    const read = (name: string, entries: Entries | undefined, kinds: Readonly<Record<string, Kind>>): void => {
      if (!entries) return;
      const values: Record<string, unknown> = {};
      for (const [field, entry] of entries) {
        const kind = kinds[field];
        if (kind === undefined) continue;
        where.set(`${name}.${field}`, entry.value ?? entry.key);
        const value = this.value(entry.value, `policy.${name}.${field}`, kind, entry.key);
        if (value !== undefined) values[field] = value;
      }
      policy[name] = values;
    };
    const pin = section("pin", ["length", "minLength", "maxLength", "blockCommon", "blocklist", "maxFailures"]);
    read("pin", pin, {
      minLength: "integer",
      maxLength: "integer",
      blockCommon: "boolean",
      blocklist: "strings",
      maxFailures: "integer",
    });
    const length = pin?.get("length");
    if (length) {
      // `length: 6` is both bounds.
      if (pin?.has("minLength") || pin?.has("maxLength")) {
        this.problems.push(
          `\`policy.pin.length\` at ${this.at(length.key)} sets both bounds: drop minLength and maxLength, or length`,
        );
      }
      const value = this.value(length.value, "policy.pin.length", "integer", length.key);
      if (typeof value === "number") {
        policy.pin = { ...policy.pin, minLength: value, maxLength: value };
        where.set("pin.minLength", length.value ?? length.key);
        where.set("pin.maxLength", length.value ?? length.key);
      }
    }
    read("otp", section("otp", ["length", "ttlSeconds", "maxFailedVerifications"]), {
      length: "integer",
      ttlSeconds: "integer",
      maxFailedVerifications: "integer",
    });
    read("phone", section("phone", ["defaultRegion", "countries", "mobileOnly"]), {
      defaultRegion: "region",
      countries: "regions",
      mobileOnly: "boolean",
    });
    const sms = section("sms", [
      "codeLength",
      "codeTtlSeconds",
      "maxTriesPerCode",
      "language",
      "senderId",
      "brand",
      "texts",
      "quotas",
    ]);
    read("sms", sms, {
      codeLength: "integer",
      codeTtlSeconds: "integer",
      maxTriesPerCode: "integer",
      language: "string",
      senderId: "string",
      brand: "string",
    });
    const textsEntry = sms?.get("texts");
    if (textsEntry) {
      where.set("sms.texts", textsEntry.value ?? textsEntry.key);
      const languages = this.mapping(textsEntry.value, "`policy.sms.texts`", ["en", "fr"], textsEntry.key);
      const texts: Record<string, Record<string, string>> = {};
      for (const [language, entry] of languages ?? []) {
        const purposes = this.mapping(entry.value, `\`policy.sms.texts.${language}\``, TEXT_PURPOSES, entry.key);
        for (const [purpose, text] of purposes ?? []) {
          where.set(`sms.texts.${language}.${purpose}`, text.value ?? text.key);
          const value = this.string(text.value, `policy.sms.texts.${language}.${purpose}`, text.key);
          if (value !== undefined) texts[language] = { ...texts[language], [purpose]: value };
        }
      }
      policy.sms = { ...policy.sms, texts };
    }
    const quotasEntry = sms?.get("quotas");
    if (quotasEntry) {
      where.set("sms.quotas", quotasEntry.value ?? quotasEntry.key);
      const fields = Object.keys(INTEGERS)
        .filter((k) => k.startsWith("sms.quotas."))
        .map((k) => k.slice("sms.quotas.".length));
      const quotas = this.mapping(quotasEntry.value, "`policy.sms.quotas`", fields, quotasEntry.key);
      if (quotas) {
        const values: Record<string, unknown> = {};
        for (const [field, entry] of quotas) {
          where.set(`sms.quotas.${field}`, entry.value ?? entry.key);
          const value = this.value(entry.value, `policy.sms.quotas.${field}`, "integer", entry.key);
          if (value !== undefined) values[field] = value;
        }
        policy.sms = { ...policy.sms, quotas: values };
      }
    }
    const oidc = section("oidc", ["issuer", "audience", "jwksUrl"]);
    read("oidc", oidc, { issuer: "string", audience: "string", jwksUrl: "string" });
    read("cors", section("cors", ["origins"]), { origins: "strings" });
    for (const [setting, why] of Object.entries(NOT_SUPPORTED)) {
      const [name, field] = setting.split(".") as [string, string];
      const entry = sectionsRead[name]?.get(field);
      if (entry) this.problems.push(`\`policy.${setting}\` at ${this.at(entry.key)} is not supported: ${why}`);
    }
    if (this.problems.length > before) return undefined;
    try {
      applyTenantPolicy(deployment, policy as TenantPolicy, (setting) => {
        const node = where.get(setting);
        return node ? ` at ${this.at(node)}` : "";
      });
      return policy as TenantPolicy;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.problems.push(...error.problems);
      return undefined;
    }
  }

  /** The entries of a mapping, each key known; undefined (and a problem) when `node` is not a mapping. */
  mapping(
    node: Node | null,
    what: string,
    known: readonly string[],
    key?: Scalar,
    /** Keys refused elsewhere with their reason, not listed among the known ones. */
    recognised: readonly string[] = [],
  ): Entries | undefined {
    if (!isMap(node)) {
      this.wrongType(node, what, "a mapping", key);
      return undefined;
    }
    const entries: Entries = new Map();
    for (const pair of node.items) {
      const pairKey = pair.key as Node | null;
      if (!isScalar(pairKey) || typeof pairKey.value !== "string") {
        this.problems.push(`a key of ${what} at ${this.at(pairKey ?? node)} must be a name`);
        continue;
      }
      if (!known.includes(pairKey.value) && !recognised.includes(pairKey.value)) {
        this.problems.push(
          `unknown key \`${pairKey.value}\` at ${this.at(pairKey)} (${what} takes ${known.join(", ")})`,
        );
        continue;
      }
      entries.set(pairKey.value, { key: pairKey, value: pair.value as Node | null });
    }
    return entries;
  }

  required(entries: Entries, field: string, path: string, node: Node | null) {
    const entry = entries.get(field);
    if (!entry) this.problems.push(`\`${path}\` at ${this.at(node)} needs \`${field}\``);
    return entry;
  }

  name(entry: { key: Scalar; value: Node | null }, path: string): string | undefined {
    const value = this.string(entry.value, path, entry.key);
    if (value !== undefined && (value.trim() === "" || value.length > NAME_MAX)) {
      this.problems.push(`\`${path}\` at ${this.at(entry.value)} must be 1 to ${NAME_MAX} characters`);
      return undefined;
    }
    return value;
  }

  optionalBoolean(entries: Entries, field: string, path: string): boolean | undefined {
    const entry = entries.get(field);
    return entry
      ? (this.value(entry.value, `${path}.${field}`, "boolean", entry.key) as boolean | undefined)
      : undefined;
  }

  string(node: Node | null, path: string, key: Scalar): string | undefined {
    return this.value(node, path, "string", key) as string | undefined;
  }

  /** A scalar (or list of scalars) of the kind, or undefined and a problem naming the line. */
  value(node: Node | null, path: string, kind: Kind, key: Scalar): unknown {
    if (kind === "strings" || kind === "regions") {
      if (!isSeq(node)) return this.wrongType(node, `\`${path}\``, "a list", key);
      const items: string[] = [];
      for (const item of node.items) {
        const value = this.value(item as Node | null, path, kind === "regions" ? "region" : "string", key);
        if (typeof value === "string") items.push(value);
      }
      return items;
    }
    if (!isScalar(node)) {
      return this.wrongType(node, `\`${path}\``, KIND_NAMES[kind], key);
    }
    const value = node.value;
    const fits =
      kind === "integer"
        ? typeof value === "number" && Number.isInteger(value)
        : kind === "boolean"
          ? typeof value === "boolean"
          : typeof value === "string";
    if (!fits) return this.wrongType(node, `\`${path}\``, KIND_NAMES[kind], key);
    return kind === "region" ? (value as string).toUpperCase() : value;
  }

  wrongType(node: Node | null, what: string, expected: string, key?: Scalar): undefined {
    const got = isAlias(node)
      ? "an alias (anchors and aliases are not supported)"
      : isMap(node)
        ? "a mapping"
        : isSeq(node)
          ? "a list"
          : isScalar(node)
            ? node.value === null
              ? "nothing"
              : JSON.stringify(node.value)
            : "nothing";
    this.problems.push(`${what} at ${this.at(node ?? key ?? null)} must be ${expected}, got ${got}`);
    return undefined;
  }

  at(node: Node | Scalar | null): string {
    return this.lineOf(node?.range?.[0] ?? 0);
  }
}

type Kind = "integer" | "boolean" | "string" | "region" | "strings" | "regions";

const KIND_NAMES: Readonly<Record<Kind, string>> = {
  integer: "a whole number",
  boolean: "true or false",
  string: "a string",
  region: "an ISO 3166 code such as FR",
  strings: "a list of strings",
  regions: "a list of ISO 3166 codes",
};
