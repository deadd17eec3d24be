import { otpWithPin } from "@pims/protocol";
import { createVerifier, type PimsFailureKind, stepUpMiddleware } from "@pims/relying-party";
import { pimsPlugin } from "@pims/relying-party/fastify";
import Fastify, { type FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { closedPortUrl, rawServer } from "../support/rawServers.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/**
 * The relying-party kit says what is wrong: a missing key is refused when the middleware is
 * created, and each kind of failure ("key refused", "Pims unreachable", "Pims error") is logged once
 * per interval instead of silent 503s.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
});
afterAll(() => server.close());

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { warn: (message: string) => lines.push(message) } };
}

const anOtp = { otp: "12345678", accessToken: "pat_whatever" };

describe("a missing API key is refused at creation", () => {
  it("createVerifier, stepUpMiddleware and the Fastify plugin throw or fail to register, saying why", async () => {
    for (const apiKey of [undefined, "", "  "]) {
      const options = { pimsUrl: server.url, apiKey } as unknown as { pimsUrl: string; apiKey: string };
      expect(() => createVerifier(options)).toThrow(/apiKey is missing/);
      expect(() => stepUpMiddleware(options)).toThrow(/apiKey is missing/);
      const app = Fastify();
      await expect(app.register(pimsPlugin, options)).rejects.toThrow(/apiKey is missing/);
      await app.close();
    }
    expect(() => createVerifier({ pimsUrl: "not a url", apiKey: "prk_x" })).toThrow(/pimsUrl is not a URL/);
  });
});

describe("failures are logged once per interval, by kind, without secrets", () => {
  it("a revoked key: 'key refused', once, however many calls", async () => {
    const { id, key } = await createRelyingParty(server.url, "revoked-rp");
    const revoke = await fetch(`${server.url}/v1/admin/relying-parties/${id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(revoke.status).toBe(200);
    const { lines, logger } = recordingLogger();
    const verify = createVerifier({ pimsUrl: server.url, apiKey: key, logger });
    const kinds: PimsFailureKind[] = [];
    for (let i = 0; i < 3; i++) {
      await verify(anOtp).catch((error: { kind: PimsFailureKind }) => kinds.push(error.kind));
    }
    expect(kinds).toEqual(["key refused", "key refused", "key refused"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/key refused: Pims refused this relying party's API key/);
    expect(lines[0]).not.toContain(key);
    expect(lines[0]).not.toContain(anOtp.otp);
  });

  it("Pims unreachable and Pims error are told apart; after the interval, the next one is logged with a count", async () => {
    const { lines, logger } = recordingLogger();
    const down = createVerifier({ pimsUrl: await closedPortUrl(), apiKey: "prk_x", logger, logIntervalMs: 300 });
    const broken = await rawServer((_request, response) => {
      response.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway</h1>");
    });
    const erring = createVerifier({ pimsUrl: broken.url, apiKey: "prk_x", logger, logIntervalMs: 300 });
    try {
      await expect(down(anOtp)).rejects.toMatchObject({ kind: "Pims unreachable" });
      await expect(down(anOtp)).rejects.toMatchObject({ kind: "Pims unreachable" });
      await expect(erring(anOtp)).rejects.toMatchObject({ kind: "Pims error" });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/Pims unreachable/);
      expect(lines[1]).toMatch(/Pims error: .*HTTP 502/);
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expect(down(anOtp)).rejects.toMatchObject({ kind: "Pims unreachable" });
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(/Pims unreachable.*\(1 more since the last report\)/);
    } finally {
      await broken.close();
    }
  });

  it("the Fastify plugin logs through the app's logger and answers 503/2204", async () => {
    const { id, key } = await createRelyingParty(server.url, "fastify-revoked");
    await fetch(`${server.url}/v1/admin/relying-parties/${id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const lines: string[] = [];
    const app = Fastify({
      logger: { level: "warn", stream: { write: (line: string) => lines.push(line) } },
    });
    await app.register(pimsPlugin, { pimsUrl: server.url, apiKey: key });
    app.get("/profile", { preHandler: app.pimsStepUp() }, async (req) => ({ by: req.pims?.account.username }));
    for (let i = 0; i < 2; i++) {
      const answer = await app.inject({ url: "/profile", headers: { authorization: "Bearer pat_x", "pims-otp": "1" } });
      expect(answer.statusCode).toBe(503);
      expect(answer.json().error.code).toBe(2204);
    }
    const warnings = lines.filter((line) => line.includes("@pims/relying-party"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("key refused");
    await app.close();
  });
});

describe("the typed Fastify plugin", () => {
  it("req.pims and app.pimsStepUp are typed; context(req) gets the route's request type", async () => {
    const { key } = await createRelyingParty(server.url, "typed-fastify");
    type Transfer = { Body: { to: string; amount: number } };
    const app = Fastify();
    await app.register(pimsPlugin, { pimsUrl: server.url, apiKey: key });
    app.post<Transfer>(
      "/transfer",
      {
        preHandler: app.pimsStepUp({
          require: ["possession", "knowledge"],
          context: (req: FastifyRequest<Transfer>) => `transfer:${req.body.to}:${req.body.amount}`,
        }),
      },
      async (req) => ({ by: req.pims?.account.username, factors: req.pims?.factors }),
    );
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const { pims, login } = await loggedInPims(server.url, undefined, [new URL(url).origin]);
      const { pin } = await enrollWithShortcut(server.url, pims);
      const send = () =>
        pims.fetch(`${url}/transfer`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: "bob", amount: 7 }),
        });
      expect((await send()).status).toBe(401);
      expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "transfer:bob:7" }));
      const paid = await send();
      expect(paid.status).toBe(200);
      expect(await paid.json()).toEqual({ by: login, factors: ["possession", "knowledge"] });
    } finally {
      await app.close();
    }
  });
});
