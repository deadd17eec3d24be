import { OPERATIONS } from "@pims/protocol";
import { afterAll, beforeAll, describe, it } from "vitest";
import { expectFailure, initializedPims } from "../support/facade.js";
import { validParams } from "../support/sampleValues.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("every StrongAuthentication operation needs a logged-in user", () => {
  const strong = OPERATIONS.filter((op) => op.component === "StrongAuthentication");

  it.each(strong.map((op) => [op.id, op] as const))("%s without login → 2301", async (_id, operation) => {
    const pims = await initializedPims(server.url);
    expectFailure(
      await pims[operation.verb](operation.api, validParams(operation)),
      2301,
      "Need Basic Authentication (to get CVS token)",
    );
  });

  it.each(strong.map((op) => [op.id, op] as const))("%s with a forged bearer → 2301", async (_id, operation) => {
    const response = await fetch(`${server.url}${operation.path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer pat_forged0000000000000000000000000000000000000",
      },
      body: "{}",
    });
    expectFailure({ transactionId: "x", ...(await response.json()) }, 2301);
  });
});
