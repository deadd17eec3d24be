/** A configuration the server refuses to start with; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
