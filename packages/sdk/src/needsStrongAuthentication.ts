/**
 * True when a protected API answered 2302 "Need Strong Authentication": ask the user for the
 * PIN, get an OTP (S15), and repeat the call with `pims.fetch`. Reads a clone: the body stays
 * readable.
 *
 * @example
 * let response = await pims.fetch("/api/transfer", request);
 * if (await needsStrongAuthentication(response)) { … S15 … ; response = await pims.fetch("/api/transfer", request); }
 */
export async function needsStrongAuthentication(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return body.error?.code === 2302;
  } catch {
    return false;
  }
}
