import { createAccount } from "@pims/protocol";
import { createPims } from "@pims/sdk";
import { describe, it } from "vitest";
import { expectFailure, expectSuccess } from "../support/facade.js";
import { closedPortUrl, rawServer } from "../support/rawServers.js";

/** How the SDK names the ways a server can fail it (issue: transport mapping). */
async function createAccountAgainst(serverUrl: string, timeoutMs = 2_000) {
  const pims = createPims();
  expectSuccess(await pims.initialize({ serverUrl, timeoutMs }));
  return pims.set(createAccount.api, { action: "createAccount", login: "erin", password: "erin-password" });
}

describe("transport failures map to catalogue codes", () => {
  it("server down → 2202", async () => {
    expectFailure(await createAccountAgainst(await closedPortUrl()), 2202, "Network problem : No internet");
  });

  it("server too slow → 2201 after timeoutMs", async () => {
    const slow = await rawServer(() => undefined);
    try {
      expectFailure(await createAccountAgainst(slow.url, 300), 2201, "Timeout");
    } finally {
      await slow.close();
    }
  });

  it("server that starts answering but never finishes the body → 2201", async () => {
    const stalls = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"status":');
    });
    try {
      expectFailure(await createAccountAgainst(stalls.url, 300), 2201);
    } finally {
      await stalls.close();
    }
  });

  it("500 with an HTML page → 2204", async () => {
    const broken = await rawServer((_req, res) => {
      res.writeHead(500, { "content-type": "text/html" });
      res.end("<h1>Internal Server Error</h1>");
    });
    try {
      expectFailure(await createAccountAgainst(broken.url), 2204, "Server Error");
    } finally {
      await broken.close();
    }
  });

  it("200 with a body that is not JSON → 2203", async () => {
    const garbage = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("\u0000garbage{");
    });
    try {
      expectFailure(
        await createAccountAgainst(garbage.url),
        2203,
        "Invalid return [Parsing error] ou [No data] ou [invalid Data]",
      );
    } finally {
      await garbage.close();
    }
  });

  it.each([
    ["JSON that is not a Pims message", { hello: "world" }],
    ["SUCCEEDED without the promised result", { status: "SUCCEEDED", result: { accessToken: 5 } }],
    ["FAILED without a numeric code", { status: "FAILED", error: { code: "2308", label: "x" } }],
  ])("200 with %s → 2203", async (_name, body) => {
    const odd = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    try {
      expectFailure(await createAccountAgainst(odd.url), 2203);
    } finally {
      await odd.close();
    }
  });

  it("a redirect is not followed → 2202", async () => {
    const redirects = await rawServer((_req, res) => {
      res.writeHead(307, { location: "http://127.0.0.1:9/" });
      res.end();
    });
    try {
      expectFailure(await createAccountAgainst(redirects.url), 2202);
    } finally {
      await redirects.close();
    }
  });

  it("a FAILED message from the server keeps its code and label", async () => {
    const refuses = await rawServer((_req, res) => {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "FAILED", error: { code: 2402, label: "Login already registered" } }));
    });
    try {
      expectFailure(await createAccountAgainst(refuses.url), 2402, "Login already registered");
    } finally {
      await refuses.close();
    }
  });
});
