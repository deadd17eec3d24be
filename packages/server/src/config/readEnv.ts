import { ConfigError } from "./ConfigError.js";

/** Variables of the `PIMS_` family that are not settings of the server: the `pims admin` URL. */
const NOT_SERVER_SETTINGS: ReadonlySet<string> = new Set(["PIMS_URL"]);

/**
 * Typed readers for environment settings; each problem names the variable. A reader does not stop
 * at the first problem: it records it and goes on with the fallback, so that {@link finish} reports
 * every problem of a configuration at once. It also remembers every name it was asked for, so
 * that a `PIMS_*` variable nobody asked for (a misspelling) can be warned about.
 */
export class EnvReader {
  readonly #problems: string[] = [];
  readonly #asked = new Set<string>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** Every variable name asked for so far. */
  get asked(): ReadonlySet<string> {
    return this.#asked;
  }

  /** Records a problem (the configuration will be refused by {@link finish}). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  string(name: string, fallback: string): string {
    const value = this.#get(name);
    return value === undefined || value === "" ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.#get(name);
    return value === undefined || value === "" ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^-?[0-9]+$/.test(raw)) return this.#refuse(`${name} must be a whole number, got "${raw}"`, fallback);
    const value = Number(raw);
    if (value < min || value > max)
      return this.#refuse(`${name} must be between ${min} and ${max}, got ${value}`, fallback);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    return this.#refuse(`${name} must be true or false, got "${raw}"`, fallback);
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) {
      return this.#refuse(`${name} must be one of ${values.join(", ")}, got "${raw}"`, fallback);
    }
    return raw as T;
  }

  list(name: string): string[] {
    return (this.optional(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  /**
   * Runs `build` with this reader and returns its result, unless a problem was recorded or `build`
   * threw a {@link ConfigError}: then throws one ConfigError listing every problem, in the order
   * found. Before that, tells `warn` of each `PIMS_*` variable of the environment that was never
   * asked for (`known`: names read elsewhere, such as those only read in another configuration).
   */
  finish<T>(build: () => T, warn?: (message: string) => void, known: Iterable<string> = []): T {
    let result: T | undefined;
    try {
      result = build();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#problems.push(...error.problems);
    }
    if (warn) for (const message of this.unknownVariables(known)) warn(message);
    if (this.#problems.length > 0) throw ConfigError.of(this.#problems);
    return result as T;
  }

  /** A warning for each `PIMS_*` variable set in the environment that no one asked for. */
  unknownVariables(known: Iterable<string> = []): string[] {
    const names = new Set([...this.#asked, ...known]);
    return Object.keys(this.env)
      .filter((name) => name.startsWith("PIMS_") && !names.has(name) && !NOT_SERVER_SETTINGS.has(name))
      .sort()
      .map((name) => {
        const near = closest(name, names);
        return near === undefined
          ? `${name} is not a Pims setting: ignored (settings: docs/configuration.md)`
          : `${name} is not a Pims setting: ignored (did you mean ${near}?)`;
      });
  }

  #get(name: string): string | undefined {
    this.#asked.add(name);
    return this.env[name];
  }

  #refuse<T>(message: string, fallback: T): T {
    this.#problems.push(message);
    return fallback;
  }
}

/** The known name nearest to `name` when it is a likely misspelling of it (edit distance ≤ 2). */
function closest(name: string, known: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
