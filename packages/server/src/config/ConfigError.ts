/** A configuration the server refuses to start with; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  /** Every problem found, each naming its setting (one for an error built from a message). */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }

  /** One error for all the problems of a configuration. */
  static of(problems: readonly string[]): ConfigError {
    const message =
      problems.length === 1 ? (problems[0] as string) : `${problems.length} problems: ${problems.join("; ")}`;
    return new ConfigError(message, problems);
  }
}
