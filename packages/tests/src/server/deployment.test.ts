import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, Keyring, knownVariables, loadConfig } from "@pims/server";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { REPOSITORY_ROOT } from "../support/spawnPims.js";

/**
 * The deployment artifacts (Dockerfile, compose.yaml, deploy/kubernetes/) parse, reference only
 * variables the configuration loader reads, and load into a valid production configuration; the
 * image builds where a container engine and its base image are available.
 */
const KNOWN = knownVariables();
const read = (path: string) => readFile(join(REPOSITORY_ROOT, path), "utf8");
const pimsNames = (names: Iterable<string>) => [...names].filter((name) => name.startsWith("PIMS_"));
const key = () => randomBytes(32).toString("base64url");

/** The node flags on the first line of the `pims` command (`#!/usr/bin/env -S node …`). */
let binFlags: string[] = [];
beforeAll(async () => {
  const shebang = (await read("packages/server/bin/pims.js")).split("\n", 1)[0] as string;
  binFlags = (/^#!\/usr\/bin\/env -S node (.+)$/.exec(shebang)?.[1] ?? "").split(" ");
});

/** Loads a configuration as `pims serve` would, collecting warnings about unknown variables. */
function load(env: Record<string, string>) {
  const warnings: string[] = [];
  const config = loadConfig(env, {}, { warn: (message) => warnings.push(message) });
  return { config, warnings };
}

describe("compose.yaml", () => {
  let text: string;
  let services: Record<string, Service>;
  beforeAll(async () => {
    text = await read("compose.yaml");
    services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
  });

  it("runs two Pims processes behind a proxy, with PostgreSQL, Redis and a migration first", async () => {
    expect(Object.keys(services).sort()).toEqual(["migrate", "pims-1", "pims-2", "postgres", "proxy", "redis"]);
    expect(services.migrate?.command).toEqual(["migrate"]);
    for (const name of ["pims-1", "pims-2"]) {
      expect(services[name]?.build).toBe(".");
      expect(services[name]?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    }
    const nginx = await read("deploy/compose/nginx.conf");
    expect(services.proxy?.volumes).toContain("./deploy/compose/nginx.conf:/etc/nginx/conf.d/default.conf:ro");
    expect(nginx).toContain("server pims-1:8080");
    expect(nginx).toContain("server pims-2:8080");
    expect(nginx).toMatch(/location \/v1\/admin\/ \{ return 404; \}/);
  });

  it("references only variables the configuration loader knows, as keys and in interpolations", () => {
    const keys = Object.values(services).flatMap((service) => Object.keys(service.environment ?? {}));
    const interpolated = [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1] as string);
    const referenced = pimsNames([...keys, ...interpolated]);
    expect(referenced.length).toBeGreaterThan(8);
    expect(referenced.filter((name) => !KNOWN.has(name))).toEqual([]);
  });

  it("gives each Pims process a valid production configuration once the three required keys are set", () => {
    const environment = services["pims-1"]?.environment ?? {};
    const host = { PIMS_SECRET_KEY: key(), PIMS_ADMIN_KEY: key(), PIMS_METRICS_TOKEN: key() };
    const required = [...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]);
    expect([...new Set(required)].sort()).toEqual(Object.keys(host).sort());
    const env = Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), host)]),
    );
    const { config, warnings } = load(env);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({ mode: "production", host: "0.0.0.0", trustProxyHops: 1 });
    expect(config.databaseUrl).toMatch(/^postgres:\/\/pims:[^@]+@postgres:5432\/pims$/);
    expect(config.redisUrl).toBe("redis://redis:6379");
    expect(services["pims-2"]?.environment).toEqual(environment);
  });
});

describe("deploy/kubernetes", () => {
  let resources: Resource[];
  beforeAll(async () => {
    const folder = join(REPOSITORY_ROOT, "deploy", "kubernetes");
    const files = (await readdir(folder)).filter((name) => name.endsWith(".yaml")).sort();
    const kustomization = parse(await read("deploy/kubernetes/kustomization.yaml")) as { resources: string[] };
    expect([...kustomization.resources, "kustomization.yaml"].sort()).toEqual(files);
    resources = [];
    for (const file of kustomization.resources) {
      for (const document of parseAllDocuments(await read(`deploy/kubernetes/${file}`))) {
        expect(document.errors, file).toEqual([]);
        resources.push(document.toJS() as Resource);
      }
    }
  });
  const one = (kind: string) => {
    const found = resources.filter((r) => r.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0] as Resource;
  };

  it("has a Deployment with probes and a migrating init container, a Secret, a ConfigMap, a Service, a PDB", () => {
    expect(resources.map((r) => r.kind).sort()).toEqual([
      "ConfigMap",
      "Deployment",
      "PodDisruptionBudget",
      "Secret",
      "Service",
    ]);
    const pod = one("Deployment").spec.template.spec;
    const [server] = pod.containers;
    expect(server?.readinessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
    expect(server?.livenessProbe?.httpGet).toEqual({ path: "/health/live", port: "http" });
    expect(pod.initContainers?.[0]?.args).toEqual(["migrate"]);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
    const labels = one("Deployment").spec.template.metadata.labels;
    expect(one("PodDisruptionBudget").spec.selector.matchLabels).toEqual(labels);
    expect(one("Service").spec.selector).toEqual(labels);
  });

  it("references only variables the configuration loader knows; the keys are in the Secret only", () => {
    const configMap = one("ConfigMap");
    const secret = one("Secret");
    const pod = one("Deployment").spec.template.spec;
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(container.envFrom).toEqual([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
      expect(pimsNames((container.env ?? []).map((e) => e.name)).filter((name) => !KNOWN.has(name))).toEqual([]);
    }
    const names = [...Object.keys(configMap.data ?? {}), ...Object.keys(secret.stringData ?? {})];
    expect(names.filter((name) => !KNOWN.has(name))).toEqual([]);
    expect(Object.keys(secret.stringData ?? {})).toEqual(
      expect.arrayContaining(["PIMS_SECRET_KEY", "PIMS_ADMIN_KEY", "PIMS_METRICS_TOKEN"]),
    );
    expect(Object.keys(configMap.data ?? {}).filter((name) => /SECRET|KEY|TOKEN|DATABASE_URL/.test(name))).toEqual([]);
  });

  it("loads into a valid production configuration, and refuses the Secret's placeholders", () => {
    const env = { ...(one("ConfigMap").data ?? {}), ...(one("Secret").stringData ?? {}) };
    const placeholders = load(env);
    expect(placeholders.warnings).toEqual([]);
    expect(() => Keyring.fromSecrets(placeholders.config.secretKey as string)).toThrow(ConfigError);
    const { config, warnings } = load({ ...env, PIMS_SECRET_KEY: key(), PIMS_ADMIN_KEY: key() });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({ mode: "production", port: 8080, trustProxyHops: 1 });
    expect(config.sms.provider).toBe("twilio");
    expect(config.sms.twilio?.accountSid).toBeDefined();
    expect(Keyring.fromSecrets(config.secretKey as string).currentId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("Dockerfile", () => {
  let text: string;
  beforeAll(async () => {
    text = await read("Dockerfile");
  });

  it("builds in one stage (native module included) and runs as non-root in a slim one, with a HEALTHCHECK", () => {
    const stages = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => ({ image: m[1], name: m[2] }));
    expect(stages.map((s) => s.name)).toEqual(["build", "runtime"]);
    // Same Debian release in both, so the compiled module links against the same glibc.
    expect(stages.map((s) => s.image?.split("-")[1])).toEqual(["bookworm", "bookworm"]);
    const [build, runtime] = text.split(/^FROM .* AS runtime$/m) as [string, string];
    expect(build).toContain("npm rebuild better-sqlite3");
    expect(build).toContain("npm prune --omit=dev");
    expect(runtime).not.toMatch(/npm (ci|install|rebuild)/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/health`/m);
    expect(runtime).toContain(
      `ENTRYPOINT ${JSON.stringify(["node", ...binFlags, "packages/server/bin/pims.js"]).replaceAll(",", ", ")}`,
    );
    const env = pimsNames([...runtime.matchAll(/(PIMS_[A-Z0-9_]+)=/g)].map((m) => m[1] as string));
    expect(env.length).toBeGreaterThan(2);
    expect(env.filter((name) => !KNOWN.has(name))).toEqual([]);
  });
});

describe("the server's node flags", () => {
  /** The new space V8 reaches in a process with these flags, after a burst of short-lived garbage. */
  const newSpaceMb = (flags: string[]) => {
    const script = `const k=[];for(let i=0;i<3e6;i++){const o={i,a:[i,i],s:"x"+i};if(i%1000===0)k.push(o)}
      const v8=require("node:v8");console.log(v8.getHeapSpaceStatistics().find(s=>s.space_name==="new_space").space_size/2**20)`;
    return Number(execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" }));
  };

  it("are the same for the pims command, the Dockerfile's ENTRYPOINT and npm start", async () => {
    expect(binFlags).toEqual(["--max-semi-space-size=4"]);
    const start = (JSON.parse(await read("package.json")) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(`node ${binFlags.join(" ")} packages/server/bin/pims.js serve --demo-brands`);
    // The Dockerfile's ENTRYPOINT: the "Dockerfile" test above.
  });

  it("bound the young generation to 8 MB, where V8's default grows it to 32 MB", () => {
    expect(newSpaceMb(binFlags)).toBeLessThanOrEqual(8);
    expect(newSpaceMb([])).toBeGreaterThan(8);
  });
});

/** A container engine that answers on this machine, and whether the Dockerfile's base images are there. */
const installed = ["docker", "podman"].filter(
  (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0,
);
const engine = installed.find((name) => spawnSync(name, ["info"], { stdio: "ignore", timeout: 20_000 }).status === 0);
const baseImages = ["node:20.20-bookworm", "node:20.20-bookworm-slim"];
const basesPresent =
  engine !== undefined &&
  baseImages.every((image) => spawnSync(engine, ["image", "inspect", image], { stdio: "ignore" }).status === 0);
if (installed.length === 0) {
  console.log("NOTE: the image build did not run: no container engine (docker or podman) on this machine.");
} else if (engine === undefined) {
  console.log(
    `NOTE: the image build did not run: ${installed.join(" and ")} installed, but \`${installed[0]} info\` fails (no daemon or no permission).`,
  );
} else if (!basesPresent) {
  console.log(
    `NOTE: the image build did not run: ${engine} works but the base images ${baseImages.join(", ")} are not here (pull them where a registry is reachable).`,
  );
}

// Registered only where it can run, so that a machine without an engine reports no skipped test.
if (basesPresent) {
  describe("the image", () => {
    it("builds, and prints the version as a non-root user", async () => {
      const tool = engine as string;
      execFileSync(tool, ["build", "--pull=false", "-t", "pims:test", "."], { cwd: REPOSITORY_ROOT, stdio: "ignore" });
      const { version } = JSON.parse(await read("packages/server/package.json")) as { version: string };
      expect(execFileSync(tool, ["run", "--rm", "pims:test", "--version"], { encoding: "utf8" })).toBe(`${version}\n`);
      expect(execFileSync(tool, ["run", "--rm", "--entrypoint", "id", "pims:test", "-u"], { encoding: "utf8" })).toBe(
        "1000\n",
      );
    }, 900_000);
  });
}

/** `${NAME:-default}` and `${NAME:?message}` as compose resolves them. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const set = env[name];
    if (set !== undefined && set !== "") return set;
    if (kind === "-") return rest ?? "";
    throw new Error(`compose needs ${name}: ${rest}`);
  });
}

interface Service {
  build?: string;
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
}

interface Container {
  args?: string[];
  env?: { name: string }[];
  envFrom?: unknown[];
  readinessProbe?: { httpGet: unknown };
  livenessProbe?: { httpGet: unknown };
  securityContext?: Record<string, unknown>;
}

interface Resource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec: {
    selector: { matchLabels: Record<string, string> } & Record<string, string>;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; initContainers?: Container[]; securityContext?: { runAsNonRoot?: boolean } };
    };
  };
}
