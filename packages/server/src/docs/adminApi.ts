import { envelope } from "./envelope.js";
import { failures } from "./failures.js";

/**
 * The admin API (`/v1/admin/…`, bearer `PIMS_ADMIN_KEY`; see registerAdminRoutes) and the
 * operator routes (`/health`, `/health/live`, `/metrics`) for the OpenAPI document.
 */
export function adminPaths(): Record<string, unknown> {
  const admin = (
    operationId: string,
    summary: string,
    result: Record<string, unknown>,
    codes: readonly number[],
    extra: Record<string, unknown> = {},
  ) => ({
    operationId,
    summary,
    tags: ["admin"],
    security: [{ adminKey: [] }],
    ...extra,
    responses: {
      200: envelope(result),
      // 2002: no PIMS_ADMIN_KEY on the server, so no admin route.
      ...failures([2000, 2002, 2204, 2301, ...codes], { body: "requestBody" in extra }),
    },
  });
  const id = (what: string) => ({
    parameters: [{ name: "id", in: "path", required: true, description: `${what} id`, schema: { type: "string" } }],
  });
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  return {
    "/v1/admin/accounts": {
      get: admin(
        "admin.accounts.find",
        "Find accounts by id, login, or trusted number (as S3 returns it, masked as here, or its last 3+ digits).",
        { type: "object", required: ["accounts"], properties: { accounts: { type: "array", items: ref("Account") } } },
        [2101, 2102],
        {
          parameters: [
            {
              name: "query",
              in: "query",
              required: true,
              description: "An account id, part of a login, or a phone number (at most 254 characters).",
              schema: { type: "string", minLength: 1, maxLength: 254 },
            },
          ],
        },
      ),
    },
    "/v1/admin/accounts/{id}": {
      get: admin(
        "admin.accounts.show",
        "An account and its devices. 2102 (`id`): no such account.",
        {
          type: "object",
          required: ["account", "devices"],
          properties: { account: ref("Account"), devices: { type: "array", items: ref("Device") } },
        },
        [2102],
        id("Account"),
      ),
    },
    "/v1/admin/accounts/{id}/audit": {
      get: admin(
        "admin.accounts.audit",
        "The audit trail of an account, newest first (200 events at most). 2102 (`id`): no such account.",
        { type: "object", required: ["events"], properties: { events: { type: "array", items: ref("AuditEvent") } } },
        [2102],
        id("Account"),
      ),
    },
    "/v1/admin/accounts/{id}/unblock": {
      post: admin(
        "admin.accounts.unblock",
        "Clear the wrong-PIN count of an account. 2102 (`id`): no such account.",
        { type: "object", required: ["wasBlocked"], properties: { wasBlocked: { type: "boolean" } } },
        [2102],
        id("Account"),
      ),
    },
    "/v1/admin/devices/{id}/disable": {
      post: admin(
        "admin.devices.disable",
        "Disable a device: its next request gets 2312. 2102 (`id`): no such device.",
        {
          type: "object",
          required: ["id", "status"],
          properties: { id: { type: "string" }, status: { type: "string" } },
        },
        [2102],
        id("Device"),
      ),
    },
    "/v1/admin/relying-parties": {
      get: admin(
        "admin.relyingParty.list",
        "List relying parties.",
        {
          type: "object",
          required: ["relyingParties"],
          properties: { relyingParties: { type: "array", items: ref("RelyingParty") } },
        },
        [],
      ),
      post: admin(
        "admin.relyingParty.create",
        "Create a relying party; its API key is in this answer only.",
        {
          type: "object",
          required: ["id", "name", "key"],
          properties: { id: { type: "string" }, name: { type: "string" }, key: { type: "string", pattern: "^prk_" } },
        },
        [2101, 2102],
        {
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["name"],
                  properties: { name: { type: "string", minLength: 1, maxLength: 100 } },
                },
              },
            },
          },
        },
      ),
    },
    "/v1/admin/relying-parties/{id}/revoke": {
      post: admin(
        "admin.relyingParty.revoke",
        "Revoke a relying party's API key. 2102 (`id`): no such live relying party.",
        { type: "null" },
        [2102],
        id("Relying party"),
      ),
    },
    "/v1/admin/assertion-keys/rotate": {
      post: admin(
        "admin.assertionKeys.rotate",
        "Make the next key sign step-up assertions, publish a new next one; the former key stays in the JWK Set for the overlap (docs/operating.md).",
        {
          type: "object",
          required: ["kid", "next", "retired", "retiredPublishedForSeconds"],
          properties: {
            kid: { type: "string" },
            next: { type: "string" },
            retired: { type: ["string", "null"] },
            retiredPublishedForSeconds: { type: "integer" },
          },
        },
        [],
      ),
    },
    "/v1/admin/secret/rekey": {
      post: admin(
        "admin.secret.rekey",
        "Re-seal every PIN verifier under the current PIMS_SECRET_KEY (docs/deployment.md).",
        {
          type: "object",
          required: ["keyId", "resealed", "remainingUnderFormerKeys"],
          properties: {
            keyId: { type: "string" },
            resealed: { type: "integer" },
            remainingUnderFormerKeys: { type: "integer" },
          },
        },
        [],
      ),
    },
  };
}

/** `/health`, `/health/live`, `/metrics`: for load balancers, probes and Prometheus. */
export function operatorPaths(): Record<string, unknown> {
  const check = { type: "string", enum: ["ok", "unreachable"] };
  const health = {
    type: "object",
    required: ["status", "database", "checks"],
    properties: {
      status: { type: "string", enum: ["ok", "unavailable"] },
      database: { type: "string", enum: ["sqlite", "postgres"], description: "The engine." },
      checks: {
        type: "object",
        required: ["database"],
        properties: { database: check, redis: { ...check, description: "Only when PIMS_REDIS_URL is set." } },
      },
    },
  };
  const json = (description: string, schema: Record<string, unknown>) => ({
    description,
    content: { "application/json": { schema } },
  });
  return {
    "/health": {
      get: {
        operationId: "health",
        summary: "Readiness: the database and (when configured) Redis, each checked within 2 s.",
        tags: ["operator"],
        security: [],
        responses: {
          200: json("Every dependency answers.", health),
          503: json("A dependency does not answer: `checks` says which.", health),
          ...failures([], { body: true }),
        },
      },
    },
    "/health/live": {
      get: {
        operationId: "health.live",
        summary: "Liveness: 200 while the process serves HTTP, whatever its dependencies.",
        tags: ["operator"],
        security: [],
        responses: {
          200: json("The process serves.", {
            type: "object",
            required: ["status"],
            properties: { status: { const: "ok" } },
          }),
          ...failures([], { body: true }),
        },
      },
    },
    "/.well-known/jwks.json": {
      get: {
        operationId: "jwks",
        summary: "The public keys of step-up assertions (RFC 7517 JWK Set), cacheable for 300 s.",
        tags: ["relying party"],
        security: [],
        responses: {
          200: {
            description: "The signing key, the next one, and those retired within the overlap.",
            content: {
              "application/jwk-set+json": {
                schema: {
                  type: "object",
                  required: ["keys"],
                  properties: {
                    keys: {
                      type: "array",
                      items: {
                        type: "object",
                        required: ["kid", "kty", "crv", "x", "y", "alg", "use"],
                        properties: {
                          kid: { type: "string" },
                          kty: { const: "EC" },
                          crv: { const: "P-256" },
                          x: { type: "string" },
                          y: { type: "string" },
                          alg: { const: "ES256" },
                          use: { const: "sig" },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...failures([], { body: true }),
        },
      },
    },
    "/metrics": {
      get: {
        operationId: "metrics",
        summary: "Prometheus metrics (docs/operating.md).",
        tags: ["operator"],
        // The token is asked for only when PIMS_METRICS_TOKEN is set.
        security: [{ metricsToken: [] }, {}],
        responses: {
          200: {
            description: "Prometheus text exposition format.",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...failures([2301]),
        },
      },
    },
  };
}

/** Schemas of the admin answers: what an administrator sees, never a secret. */
export const ADMIN_SCHEMAS = {
  Account: {
    type: "object",
    required: ["id", "login", "createdAt", "phone", "hasPin", "pinFailures", "blocked", "activeDevices"],
    properties: {
      id: { type: "string" },
      login: { type: "string" },
      createdAt: { type: "integer", description: "Epoch milliseconds." },
      phone: { type: ["string", "null"], description: "Masked: `+336•••••678`." },
      hasPin: { type: "boolean" },
      pinFailures: { type: "integer" },
      blocked: { type: "boolean" },
      activeDevices: { type: "integer" },
    },
  },
  Device: {
    type: "object",
    required: ["id", "status"],
    properties: {
      id: { type: "string" },
      status: { type: "string", enum: ["pending", "active", "removed", "disabled"] },
      created_at: { type: ["integer", "string"] },
      enrolled_at: { type: ["integer", "string", "null"] },
      removed_at: { type: ["integer", "string", "null"] },
    },
  },
  AuditEvent: {
    type: "object",
    required: ["at", "event", "outcome"],
    properties: {
      id: { type: ["integer", "string"] },
      at: { type: "integer", description: "Epoch milliseconds." },
      event: { type: "string", description: "One of docs/audit-events.md." },
      outcome: { type: "string", enum: ["success", "failure", "refused"] },
      device_id: { type: ["string", "null"] },
      client_address: { type: ["string", "null"] },
      detail: { type: ["object", "null"], description: "The event's detail fields (docs/audit-events.md)." },
    },
  },
  RelyingParty: {
    type: "object",
    required: ["id", "name"],
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      created_at: { type: ["integer", "string"] },
      revoked_at: { type: ["integer", "string", "null"] },
    },
  },
} as const;
