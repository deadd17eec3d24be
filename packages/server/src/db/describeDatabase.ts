/** The database of a `PIMS_DATABASE_URL` for a message: engine and place, never a password. */
export function describeDatabase(url: string): string {
  if (url.startsWith("sqlite:")) return `SQLite file ${url.slice("sqlite:".length)}`;
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}
