import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../core/OperationCall.js";
import { migrate } from "../db/migrate.js";
import { type Database, openDatabase } from "../db/openDatabase.js";
import { DEFAULT_TENANT, forTenant } from "../db/TenantScope.js";
import { AuditLog } from "./AuditLog.js";
import { adminEvent } from "./adminEvent.js";
import { callerEvent } from "./callerEvent.js";
import { AUDIT_EVENTS, type AuditEvent, type AuditEventName, type AuditOutcomeOf } from "./events.js";

describe("AuditLog.append", () => {
  let database: Database;
  let audit: AuditLog;
  const observed: AuditEvent[] = [];
  beforeAll(async () => {
    database = openDatabase("sqlite::memory:");
    await migrate(database.db as never);
    audit = new AuditLog(forTenant(database.db, DEFAULT_TENANT), { now: () => 1_700_000_000_000 }, (event) =>
      observed.push(event),
    );
  });
  afterAll(() => database.close());

  it("stores a catalogue event as given, its detail as JSON, and tells the observer", async () => {
    const event = {
      event: "sms.send",
      outcome: "refused",
      accountId: "acc_1",
      clientAddress: "192.0.2.7",
      detail: { operation: "enrollment", reason: 2383 },
    } as const;
    await audit.append(event);
    const rows = await forTenant(database.db, DEFAULT_TENANT).selectFrom("audit_events").selectAll().execute();
    expect(rows).toEqual([
      {
        id: expect.stringMatching(/^evt_/),
        at: 1_700_000_000_000,
        event: "sms.send",
        outcome: "refused",
        account_id: "acc_1",
        device_id: null,
        client_address: "192.0.2.7",
        detail: '{"operation":"enrollment","reason":2383}',
        // Written by the tenant scope, not by the log (decision 0028).
        tenant_id: "default",
      },
    ]);
    expect(observed).toEqual([event]);
  });

  it('stores an admin event with `by: "admin"` first in its detail', async () => {
    await audit.append({
      ...adminEvent("198.51.100.1", "device.disable", { revokedOtps: 2 }),
      accountId: "acc_2",
    });
    const row = await forTenant(database.db, DEFAULT_TENANT)
      .selectFrom("audit_events")
      .select(["event", "outcome", "client_address", "detail"])
      .where("account_id", "=", "acc_2")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      event: "device.disable",
      outcome: "success",
      client_address: "198.51.100.1",
      detail: '{"by":"admin","revokedOtps":2}',
    });
  });
});

/**
 * Never called: each marked line must fail to compile (`tsc -p tsconfig.test.json` reports an
 * unused `@ts-expect-error` otherwise), so the catalogue is the only list of what may be appended.
 */
export function wouldNotCompile(audit: AuditLog, call: Caller, removed: number): void {
  // @ts-expect-error an event name not in the catalogue
  void audit.append({ event: "device.steal", outcome: "success" });
  // @ts-expect-error an outcome the event does not have (a logout never fails)
  void audit.append({ event: "logout", outcome: "failure" });
  // @ts-expect-error a detail field the event does not declare
  void audit.append({ event: "login", outcome: "failure", detail: { failures: 1 } });
  // @ts-expect-error another event's field, spread in (where TypeScript checks no excess property)
  void audit.append({
    event: "device.removeAll",
    outcome: "success",
    detail: { ...(removed ? { failures: removed } : {}) },
  });
  // @ts-expect-error a declared detail field of the wrong type
  void audit.append({ event: "pin.change", outcome: "success", detail: { revokedOtps: "3" } });
  // @ts-expect-error a value outside the field's declared values
  void audit.append({ event: "account.unblock", outcome: "success", detail: { by: "root" } });
  // @ts-expect-error an outcome overridden to one the event does not have
  void audit.append({ ...callerEvent(call, "otp.issue"), outcome: "refused" });
  // @ts-expect-error callerEvent only for events that can succeed
  callerEvent(call, "sms.code");
  // @ts-expect-error callerEvent's detail is the event's
  callerEvent(call, "device.enroll", { country: "FR" });
  // @ts-expect-error adminEvent only for events recorded `by: "admin"`
  adminEvent("192.0.2.1", "login");
  // @ts-expect-error adminEvent sets `by` itself
  adminEvent("192.0.2.1", "secret.rekey", { by: "pin.reset" });
}

/** The outcomes a counted event's `counted` names that the event does not declare: none. */
type CountedButUndeclared = {
  [E in AuditEventName]: (typeof AUDIT_EVENTS)[E] extends { readonly counted: { readonly outcomes: infer O } }
    ? Exclude<keyof O, AuditOutcomeOf<E>>
    : never;
}[AuditEventName];
const countedOutcomesAreDeclared: [CountedButUndeclared] extends [never] ? true : never = true;

describe("AUDIT_EVENTS", () => {
  it("counts only outcomes an event declares, and declares every field with a description", () => {
    expect(countedOutcomesAreDeclared).toBe(true);
    for (const [name, declaration] of Object.entries(AUDIT_EVENTS)) {
      expect(declaration.description, name).toMatch(/\.$/);
      expect(declaration.outcomes.length, name).toBeGreaterThan(0);
      const counted: { outcomes: object } | undefined = "counted" in declaration ? declaration.counted : undefined;
      for (const outcome of Object.keys(counted?.outcomes ?? {})) {
        expect(declaration.outcomes as readonly string[], `${name} counts ${outcome}`).toContain(outcome);
      }
      for (const [field, spec] of Object.entries(declaration.detail)) {
        expect(spec.description, `${name}.${field}`).toMatch(/\.$/);
        if ("values" in spec) expect(spec.values.length, `${name}.${field}`).toBeGreaterThan(0);
      }
    }
  });
});
