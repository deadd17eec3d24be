import { createAccount, customerAt, loginUser, logout, username } from "@pims/protocol";
import { createPims, memoryStore } from "@pims/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectFailure, expectSuccess, initializedPims, loggedInPims } from "../support/facade.js";
import { startTestServer, type TestServer } from "../support/startTestServer.js";
import { accessToken } from "../support/steps.js";
import { TestClock } from "../support/TestClock.js";

const usernameSelector = { actionType: "basic", type: "username" };

let server: TestServer;
const clock = new TestClock();
beforeAll(async () => {
  server = await startTestServer({
    clock,
    env: { PIMS_LOGIN_MAX_FAILURES_PER_LOGIN: "3", PIMS_LOGIN_MAX_FAILURES_PER_ADDRESS: "1000" },
  });
});
afterAll(() => server.close());

describe("basic authentication through the SDK", () => {
  it("creates an account, which logs it in", async () => {
    const pims = await initializedPims(server.url);
    const created = await pims.set(createAccount.api, {
      action: "createAccount",
      login: "Carol@Example.com",
      password: "carol-password",
    });
    expect(created).toMatchObject({ status: "SUCCEEDED", result: null });
    expect(expectSuccess(await pims.get(username.api, usernameSelector))).toEqual({ username: "Carol@Example.com" });
  });

  it("refuses a login already taken, whatever its case: 2402", async () => {
    const pims = await initializedPims(server.url);
    expectSuccess(
      await pims.set(createAccount.api, { action: "createAccount", login: "dave", password: "dave-password" }),
    );
    expectFailure(
      await pims.set(createAccount.api, { action: "createAccount", login: "DAVE", password: "other-password" }),
      2402,
      "Login already registered",
    );
  });

  it("logs in with the right password, and gets the username", async () => {
    const { login, password } = await loggedInPims(server.url);
    const pims = await initializedPims(server.url);
    expectSuccess(await pims.set(loginUser.api, { action: "login", login: login.toUpperCase(), password }));
    expect(expectSuccess(await pims.get(username.api, usernameSelector))).toEqual({ username: login });
  });

  it("answers 2401 for a wrong password and for an unknown login alike", async () => {
    const { login } = await loggedInPims(server.url);
    const pims = await initializedPims(server.url);
    expectFailure(
      await pims.set(loginUser.api, { action: "login", login, password: "wrong-password" }),
      2401,
      "Invalid login or password",
    );
    expectFailure(await pims.set(loginUser.api, { action: "login", login: "nobody-here", password: "whatever" }), 2401);
    expectFailure(await pims.get(username.api, usernameSelector), 2301);
  });

  it("limits failed logins per login: 2383 after the limit, even with the right password, until the window ends", async () => {
    const { login, password } = await loggedInPims(server.url);
    const pims = await initializedPims(server.url);
    for (let i = 0; i < 3; i++)
      expectFailure(await pims.set(loginUser.api, { action: "login", login, password: "bad" }), 2401);
    expectFailure(
      await pims.set(loginUser.api, { action: "login", login, password }),
      2383,
      "error.accountTemporarilyLockedOut",
    );
    clock.advance(16 * 60_000);
    expectSuccess(await pims.set(loginUser.api, { action: "login", login, password }));
  });

  it("a successful login clears the failures of its login", async () => {
    const { login, password } = await loggedInPims(server.url);
    const pims = await initializedPims(server.url);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++)
        expectFailure(await pims.set(loginUser.api, { action: "login", login, password: "bad" }), 2401);
      expectSuccess(await pims.set(loginUser.api, { action: "login", login, password }));
    }
  });

  it("logout revokes the session on the server and forgets it on the device", async () => {
    const { pims } = await loggedInPims(server.url);
    const token = await accessToken(pims);
    expect(await pims.set(logout.api, { action: "logout" })).toMatchObject({ status: "SUCCEEDED", result: null });
    expectFailure(await pims.get(username.api, usernameSelector), 2301);
    expectFailure(await pims.set(logout.api, { action: "logout" }), 2301);
    const replay = await fetch(`${server.url}/v1/account/username`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ status: "FAILED", error: { code: 2301 } });
  });

  it("answers the access token, and a new one on refresh", async () => {
    const { pims } = await loggedInPims(server.url);
    const first = expectSuccess(await pims.get(customerAt.api, { type: "customerAt", action: "get" })) as Record<
      string,
      string
    >;
    expect(first.type).toBe("customerAt");
    expect(first.token).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    const again = expectSuccess(await pims.get(customerAt.api, { type: "customerAt", action: "get" })) as Record<
      string,
      string
    >;
    expect(again.token).toBe(first.token);
    const refreshed = expectSuccess(
      await pims.get(customerAt.api, { type: "customerAt", action: "refresh" }),
    ) as Record<string, string>;
    expect(refreshed.token).not.toBe(first.token);
    expectSuccess(await pims.get(username.api, usernameSelector));
  });

  it("refreshes an expired access token by itself", async () => {
    const { pims, login } = await loggedInPims(server.url);
    clock.advance(20 * 60_000);
    expect(expectSuccess(await pims.get(username.api, usernameSelector))).toEqual({ username: login });
  });

  it("treats a replayed refresh token as stolen: the session is revoked", async () => {
    const store = memoryStore();
    const { pims } = await loggedInPims(server.url, store);
    const stolen = ((await store.get("pims.session")) as { refreshToken: string }).refreshToken;
    expectSuccess(await pims.get(customerAt.api, { type: "customerAt", action: "refresh" }));
    const replay = await fetch(`${server.url}/v1/user/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: stolen }),
    });
    expect(await replay.json()).toMatchObject({ status: "FAILED", error: { code: 2301 } });
    clock.advance(20 * 60_000);
    expectFailure(await pims.get(username.api, usernameSelector), 2301);
  });

  it("purges sessions a day after their refresh token expired, and only those", async () => {
    const { pims: old } = await loggedInPims(server.url);
    const { db } = server.server.services;
    const before = await db.selectFrom("sessions").select("id").execute();
    clock.advance(32 * 86_400_000);
    const { pims: fresh } = await loggedInPims(server.url);
    await server.server.purgeExpired();
    const after = await db.selectFrom("sessions").select("id").execute();
    expect(after.length).toBe(1);
    expect(before.length).toBeGreaterThan(0);
    expectFailure(await old.get(username.api, usernameSelector), 2301);
    expectSuccess(await fresh.get(username.api, usernameSelector));
  });

  it("keeps the session in the store, so a restarted app is still logged in", async () => {
    const store = memoryStore();
    const { login } = await loggedInPims(server.url, store);
    const restarted = createPims();
    expectSuccess(await restarted.initialize({ serverUrl: server.url, store }));
    expect(expectSuccess(await restarted.get(username.api, usernameSelector))).toEqual({ username: login });
  });

  it("answers 2303 to a logout the server cannot hear, and forgets the session anyway", async () => {
    const store = memoryStore();
    const { pims } = await loggedInPims(server.url, store);
    const session = await store.get("pims.session");
    const offline = createPims();
    expectSuccess(await offline.initialize({ serverUrl: "http://127.0.0.1:9/", store }));
    expectFailure(await offline.set(logout.api, { action: "logout" }), 2303, "Failed to logout");
    expect(await store.get("pims.session")).toBeUndefined();
    expect(session).toBeDefined();
    expectSuccess(await pims.get(username.api, usernameSelector));
  });

  it("never writes a password or a token to the log", async () => {
    const { pims, password } = await loggedInPims(server.url);
    const token = await accessToken(pims);
    await pims.set(loginUser.api, { action: "login", login: "someone", password: "secret-guess-123" });
    const text = server.logs.join("");
    expect(text).toContain("user.createAccount");
    for (const secret of [password, "secret-guess-123", token, token.slice(4)]) {
      expect(text).not.toContain(secret);
    }
  });
});
