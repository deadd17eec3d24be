import { otpWithPin } from "@pims/protocol";
import { stepUpMiddleware } from "@pims/relying-party/express";
import { memoryStore } from "@pims/sdk";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithShortcut } from "../support/enroll.js";
import { expectSuccess, loggedInPims } from "../support/facade.js";
import { listenOnLoopback } from "../support/listen.js";
import { closedPortUrl } from "../support/rawServers.js";
import { ADMIN_KEY, createRelyingParty } from "../support/relyingParty.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

/** The `(req, res, next)` form, in a real Express 5 app. */
let server: TestServer;
let app: { url: string; close(): Promise<void> };
let unreachable: { url: string; close(): Promise<void> };

const listen = listenOnLoopback;

beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_ADMIN_KEY: ADMIN_KEY } });
  const { key } = await createRelyingParty(server.url);
  const application = express();
  application.post(
    "/pay",
    express.json(),
    stepUpMiddleware({
      pimsUrl: server.url,
      apiKey: key,
      context: (req) => `pay:${req.body?.amount}`,
    }),
    (req, res) => res.json({ paidBy: req.pims?.account.username }),
  );
  app = await listen(application);
  const down = express();
  down.get("/pay", stepUpMiddleware({ pimsUrl: await closedPortUrl(), apiKey: key }), (_req, res) => res.json({}));
  unreachable = await listen(down);
});
afterAll(async () => {
  await app.close();
  await unreachable.close();
  await server.close();
});

describe("stepUpMiddleware with Express", () => {
  it("answers 2302 without an OTP, lets the request through with one, with req.pims set", async () => {
    const { pims, login } = await loggedInPims(server.url, memoryStore(), [app.url]);
    const { pin } = await enrollWithShortcut(server.url, pims, "91827364");
    const pay = () =>
      pims.fetch(`${app.url}/pay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount: 42 }),
      });
    const refused = await pay();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      status: "FAILED",
      error: { code: 2302, label: "Need Strong Authentication" },
    });
    expectSuccess(await pims.get(otpWithPin.api, { action: "withPIN", pinCode: pin, context: "pay:42" }));
    const paid = await pay();
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ paidBy: login });
  });

  it("fails closed when Pims cannot be reached: 503, 2204", async () => {
    const response = await fetch(`${unreachable.url}/pay`, {
      headers: { authorization: "Bearer pat_x", "pims-otp": "12345678" },
    });
    expect(response.status).toBe(503);
    expect((await response.json()).error).toEqual({ code: 2204, label: "Server Error" });
  });
});
