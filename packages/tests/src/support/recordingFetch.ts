/** A request as the SDK sent it. */
export interface Recorded {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The request a `fetch` call would send. */
function recorded(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): Recorded {
  return {
    url: String(input),
    headers: { ...(init?.headers as Record<string, string>) },
    body: String(init?.body ?? ""),
  };
}

/** A `fetch` that keeps a copy of each request it sends (to replay or alter in attack tests). */
export function recordingFetch(): { fetch: typeof fetch; sent: Recorded[] } {
  const sent: Recorded[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      sent.push(recorded(input, init));
      return fetch(input, init);
    },
  };
}

/**
 * A `fetch` that can hold requests back: `held(send)` runs `send` and keeps, instead of sending,
 * the requests it makes that `matches` accepts (the SDK sees a network error); it resolves to the
 * last of them — a signed request never delivered, for the test to send as it likes.
 */
export function holdingFetch(matches: (url: string) => boolean = () => true) {
  const kept: Recorded[] = [];
  let holding = false;
  const holdingFetch: typeof fetch = async (input, init) => {
    if (holding && matches(String(input))) {
      kept.push(recorded(input, init));
      throw new TypeError("held by the test");
    }
    return fetch(input, init);
  };
  return {
    fetch: holdingFetch,
    async held(send: () => Promise<unknown>): Promise<Recorded> {
      holding = true;
      try {
        await send();
      } finally {
        holding = false;
      }
      const request = kept.at(-1);
      if (!request) throw new Error("no request held");
      return request;
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
