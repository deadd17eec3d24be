import { OPERATIONS, type OperationDeclaration, type SelectorDeclaration } from "@pims/protocol";
import { createPims, type Pims } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess, loggedInPims } from "../support/facade.js";
import { invalidValue, selectorParams, validParams } from "../support/sampleValues.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";

/**
 * 2101/2102 for every declared operation and parameter, generated from the declarations, on
 * both sides: the SDK decides before any network call, the server decides the same for clients
 * that are not the SDK.
 */
let server: TestServer;
let bearer: string;
let networkCalls = 0;
let offlinePims: Pims;

beforeAll(async () => {
  server = await startTestServer();
  const { pims } = await loggedInPims(server.url);
  bearer = await accessToken(pims);
  offlinePims = createPims();
  expectSuccess(
    await offlinePims.initialize({
      serverUrl: server.url,
      fetch: async (...args) => {
        networkCalls++;
        return fetch(...args);
      },
    }),
  );
});
afterAll(() => server.close());

interface Case {
  readonly title: string;
  readonly operation: OperationDeclaration;
  readonly params: Record<string, unknown>;
  readonly code: 2101 | 2102;
  readonly parameter: string;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const operation of OPERATIONS) {
    for (const param of operation.params) {
      if (param.required) {
        const params = validParams(operation);
        delete params[param.name];
        all.push({
          title: `${operation.id} without ${param.name}`,
          operation,
          params,
          code: 2101,
          parameter: param.name,
        });
      }
      all.push({
        title: `${operation.id} with an invalid ${param.name}`,
        operation,
        params: { ...validParams(operation), [param.name]: invalidValue(param) },
        code: 2102,
        parameter: param.name,
      });
    }
  }
  return all;
}

function selectorCases(): Case[] {
  const all: Case[] = [];
  for (const operation of OPERATIONS) {
    operation.selector.forEach((selector: SelectorDeclaration, level) => {
      const params = validParams(operation);
      delete params[selector.key];
      // A lower selector level left out: the first level that cannot be told is named.
      const earlierLevelsOnly = level === 0 || operation.selector.slice(0, level).every((s) => s.key in params);
      if (earlierLevelsOnly) {
        // Operations sharing an api are told apart by their selectors: with none given, the
        // first declared operation's key is the one named.
        const first = OPERATIONS.find((op) => op.api === operation.api && op.verb === operation.verb);
        const named = first?.selector[level]?.key ?? selector.key;
        const ambiguous = Object.keys(params).some((k) => (selector.keyAliases ?? []).includes(k));
        if (!ambiguous) {
          all.push({
            title: `${operation.id} without selector ${selector.key}`,
            operation,
            params,
            code: 2101,
            parameter: named,
          });
        }
      }
      all.push({
        title: `${operation.id} with an unknown ${selector.key}`,
        operation,
        params: { ...validParams(operation), [selector.key]: "noSuchValue" },
        code: 2102,
        parameter: selector.key,
      });
    });
  }
  return all;
}

describe("SDK: 2101/2102 decided from the declarations, before any network call", () => {
  it.each([...cases(), ...selectorCases()].map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const before = networkCalls;
    const message = await offlinePims[c.operation.verb](c.operation.api, c.params);
    const label = c.code === 2101 ? `Missing ${c.parameter} parameter` : `Invalid ${c.parameter} parameter`;
    expectFailure(message, c.code, label);
    expect(networkCalls).toBe(before);
  });
});

describe("server: the same answers for clients that are not the SDK", () => {
  it.each(cases().map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const path = c.operation.path;
    if (path === null) return expect(c.operation.id).toBe("B6");
    const body = { ...c.params };
    for (const selector of c.operation.selector) delete body[selector.key];
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const label = c.code === 2101 ? `Missing ${c.parameter} parameter` : `Invalid ${c.parameter} parameter`;
    expect(await response.json()).toEqual({ status: "FAILED", error: { code: c.code, label } });
  });

  it("answers 2301 before looking at the parameters of a session operation", async () => {
    for (const operation of OPERATIONS.filter((op) => op.access === "session" && op.path !== null)) {
      const response = await fetch(`${server.url}${operation.path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status, operation.id).toBe(401);
      expect((await response.json()).error.code, operation.id).toBe(2301);
    }
  });
});

describe("selectors", () => {
  it("every operation's selector resolves to that operation", async () => {
    for (const operation of OPERATIONS)
      expect(Object.keys(selectorParams(operation)).length).toBe(operation.selector.length);
  });
});
