import { documentedErrors, ERROR_CATALOGUE, OPERATIONS, type OperationDeclaration } from "@pims/protocol";
import type { PimsMessage } from "@pims/sdk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedInPims } from "../support/facade.js";
import { invalidValue, selectorParams, validValue } from "../support/sampleValues.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

/**
 * Property: for every declared operation and any parameters, the facade delivers exactly one
 * well-formed message, whose code (when FAILED) is one the operation documents — or 2000, 2001,
 * 2301. Nothing is thrown.
 */
let server: TestServer;
let bearer: string;
beforeAll(async () => {
  server = await startTestServer({ env: { PIMS_MAX_ACCOUNTS_PER_ADDRESS: "100000" } });
  const { pims } = await loggedInPims(server.url);
  bearer = await accessToken(pims);
});
afterAll(() => server.close());

function paramsFor(operation: OperationDeclaration): fc.Arbitrary<Record<string, unknown>> {
  const declared = Object.fromEntries(
    operation.params.map((p) => [
      p.name,
      fc.oneof(
        fc.constant(undefined),
        fc.constant(validValue(p)),
        fc.constant(invalidValue(p)),
        fc.string(),
        fc.nat(),
        fc.anything(),
      ),
    ]),
  );
  return fc
    .tuple(fc.record(declared, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 12 }), fc.anything()))
    .map(([params, extra]) => ({ ...extra, ...params, ...selectorParams(operation) }));
}

function wellFormed(message: PimsMessage): boolean {
  if (typeof message.transactionId !== "string" || message.transactionId === "") return false;
  if (message.status === "SUCCEEDED") return "result" in message && Object.keys(message).length === 3;
  return (
    message.status === "FAILED" &&
    Object.keys(message).length === 3 &&
    Number.isInteger(message.error.code) &&
    typeof message.error.label === "string" &&
    message.error.label !== ""
  );
}

describe("any parameters → exactly one well-formed, documented message", () => {
  it.each(OPERATIONS.map((op) => [op.id, op] as const))("%s", async (_id, operation) => {
    const { pims } = await loggedInPims(server.url);
    const allowed = new Set([...documentedErrors(operation), 2000, 2001, 2301]);
    await fc.assert(
      fc.asyncProperty(paramsFor(operation), async (params) => {
        const delivered: PimsMessage[] = [];
        const message = await pims[operation.verb](operation.api, params, (m) => delivered.push(m));
        expect(delivered).toEqual([message]);
        expect(wellFormed(message), JSON.stringify(message)).toBe(true);
        if (message.status === "FAILED") expect(allowed.has(message.error.code), JSON.stringify(message)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("any api name and selector → one message: 2002 or a code of an operation of that api", async () => {
    const { pims } = await loggedInPims(server.url);
    const apis = [...new Set(OPERATIONS.map((op) => op.api))];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...apis), fc.string()),
        fc.constantFrom("get" as const, "set" as const),
        fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.anything()), fc.anything()),
        async (api, verb, params) => {
          const message = await pims[verb](api, params as Record<string, unknown>);
          expect(wellFormed(message)).toBe(true);
          if (message.status === "SUCCEEDED") return;
          const codes = new Set([2000, 2001, 2002, 2101, 2102, 2301]);
          for (const op of OPERATIONS.filter((o) => o.api === api)) for (const c of documentedErrors(op)) codes.add(c);
          expect(codes.has(message.error.code), JSON.stringify(message)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the server, sent any JSON body on any operation route", () => {
  it("answers a Pims message with a documented code, never a 500", async () => {
    const routes = OPERATIONS.filter((op) => op.path !== null && op.name !== "user.logout");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.jsonValue(),
        fc.boolean(),
        async (operation, body, withBearer) => {
          const response = await fetch(`${server.url}${operation.path}`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(withBearer ? { authorization: `Bearer ${bearer}` } : {}),
            },
            body: JSON.stringify(body),
          });
          expect(response.status).not.toBe(500);
          const answer = (await response.json()) as { status: string; error?: { code: number; label: string } };
          if (answer.status !== "FAILED") {
            expect(response.status).toBe(200);
            return;
          }
          const code = answer.error?.code as keyof typeof ERROR_CATALOGUE;
          expect(response.status).toBe(code === 2102 || code === 2101 ? 400 : ERROR_CATALOGUE[code].httpStatus);
          // A body that is not a JSON object is refused at the edge for every route.
          if (answer.error?.label === "Invalid body parameter") expect(answer.error.code).toBe(2102);
          else expect([...documentedErrors(operation), 2301]).toContain(answer.error?.code);
        },
      ),
      { numRuns: 300 },
    );
  });
});
