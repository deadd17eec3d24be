import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { AUDIT_EVENTS, type AuditEvent, type AuditEventDeclaration, type AuditEventName } from "../audit/events.js";

/** The catalogue, read as declarations (each may say which metric counts it). */
const CATALOGUE: Readonly<Record<AuditEventName, AuditEventDeclaration>> = AUDIT_EVENTS;

/**
 * The Prometheus metrics of one server (its own registry, so several servers can share a process):
 * requests by operation and outcome, latencies, OTPs, SMS, lockouts, database pool, and Node's
 * process metrics (memory, event loop).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: "pims_requests_total",
    help: "Requests by tenant, operation and outcome (SUCCEEDED or the error code).",
    labelNames: ["tenant", "operation", "outcome"] as const,
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: "pims_request_duration_seconds",
    help: "Request latency by tenant and operation.",
    labelNames: ["tenant", "operation"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #otps = new Counter({
    name: "pims_otps_total",
    help: "OTPs issued, verified, and refused at verification.",
    labelNames: ["tenant", "event"] as const,
    registers: [this.registry],
  });
  readonly #sms = new Counter({
    name: "pims_sms_total",
    help: "SMS sent, refused by a quota of the pumping guard (2383), asked for again within the resend cooldown (2005), and failed at the operator.",
    labelNames: ["tenant", "event"] as const,
    registers: [this.registry],
  });
  readonly #breaker = new Counter({
    name: "pims_sms_circuit_breaker_total",
    help: "SMS refused (2383) because the deployment's or a destination country's hourly budget is spent.",
    labelNames: ["scope"] as const,
    registers: [this.registry],
  });
  readonly #lockouts = new Counter({
    name: "pims_lockouts_total",
    help: "Accounts blocked by too many wrong PINs.",
    labelNames: ["tenant", "event"] as const,
    registers: [this.registry],
  });

  constructor(pool: (() => { totalCount: number; idleCount: number; waitingCount: number } | undefined) | undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: "pims_" });
    if (pool) {
      new Gauge({
        name: "pims_db_pool_connections",
        help: "PostgreSQL pool: connections open, idle, and requests waiting for one.",
        labelNames: ["state"] as const,
        registers: [this.registry],
        collect() {
          const figures = pool();
          if (!figures) return;
          this.set({ state: "total" }, figures.totalCount);
          this.set({ state: "idle" }, figures.idleCount);
          this.set({ state: "waiting" }, figures.waitingCount);
        },
      });
    }
  }

  /**
   * `tenant`: a declared tenant's id (so the label stays bounded), `unknown` for a request whose
   * client id named none, `deployment` for routes of no tenant (health, metrics, admin of tenants).
   */
  request(tenant: string, operation: string, outcome: string, seconds: number): void {
    this.#requests.inc({ tenant, operation, outcome });
    this.#duration.observe({ tenant, operation }, seconds);
  }

  /** Counts a send refused by an SMS circuit breaker (`global` or `country`). */
  smsBreaker(scope: "global" | "country"): void {
    this.#breaker.inc({ scope });
  }

  /** Counts an audit event when the catalogue says which metric counts it (`counted`). */
  event(tenant: string, event: AuditEvent): void {
    const counted = CATALOGUE[event.event].counted;
    if (!counted) return;
    const reason = event.detail && "reason" in event.detail ? event.detail.reason : undefined;
    const label = (reason === undefined ? undefined : counted.reasons?.[reason]) ?? counted.outcomes[event.outcome];
    if (label === undefined) return;
    const metric = counted.metric === "otps" ? this.#otps : counted.metric === "sms" ? this.#sms : this.#lockouts;
    metric.inc({ tenant, event: label });
  }
}
