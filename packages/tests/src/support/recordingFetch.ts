/** A request as the SDK sent it. */
export interface Recorded {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A `fetch` that keeps a copy of each request it sends (to replay or alter in attack tests). */
export function recordingFetch(): { fetch: typeof fetch; sent: Recorded[] } {
  const sent: Recorded[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      sent.push({
        url: String(input),
        headers: { ...(init?.headers as Record<string, string>) },
        body: String(init?.body ?? ""),
      });
      return fetch(input, init);
    },
  };
}

/** Sends a recorded request again, optionally altered. */
export async function replay(request: Recorded, change: Partial<Recorded> = {}) {
  const response = await fetch(change.url ?? request.url, {
    method: "POST",
    headers: change.headers ?? request.headers,
    body: change.body ?? request.body,
  });
  return { status: response.status, body: (await response.json()) as { status: string; error?: { code: number } } };
}
