import { documentedErrors } from "@pims/protocol";
import { DOCUMENTED_OPERATIONS, type DocumentedOperation, type DocumentedResultField } from "@pims/protocol/docs";
import { ADMIN_SCHEMAS, adminPaths, operatorPaths } from "./adminApi.js";
import { formatSchema } from "./describeFormat.js";
import { envelope } from "./envelope.js";
import { failures } from "./failures.js";

/**
 * The HTTP API as an OpenAPI 3.1 document, built from the operation declarations (served at
 * `GET /openapi.json`).
 */
export function openApi(version = "0.1.0"): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const op of DOCUMENTED_OPERATIONS) if (op.path !== null) paths[op.path] = { post: operationObject(op) };
  paths["/v1/user/refresh"] = {
    post: {
      summary: "Trade a refresh token for new tokens (rotation; a reused refresh token revokes the session).",
      operationId: "user.refresh",
      tags: ["user"],
      security: [],
      requestBody: jsonBody({
        type: "object",
        required: ["refreshToken"],
        properties: { refreshToken: { type: "string" } },
      }),
      responses: {
        200: envelope({ $ref: "#/components/schemas/SessionTokens" }),
        ...failures([2000, 2101, 2102, 2204, 2301], { body: true }),
      },
    },
  };
  paths["/v1/rp/verify"] = {
    post: {
      summary: "A relying party verifies (and consumes) an OTP.",
      operationId: "rp.verify",
      tags: ["relying party"],
      security: [{ relyingPartyKey: [] }],
      requestBody: jsonBody({
        type: "object",
        required: ["otp"],
        properties: {
          otp: { type: "string", pattern: "^[0-9]{6,10}$" },
          account: { type: "string" },
          accessToken: { type: "string" },
          context: { type: "string", maxLength: 256 },
          assertion: {
            enum: ["jws"],
            description: "A valid verification also carries `assertion` (docs/relying-parties.md).",
          },
        },
      }),
      responses: {
        200: envelope({
          type: "object",
          properties: {
            valid: { type: "boolean" },
            account: { type: "object", properties: { id: { type: "string" }, username: { type: "string" } } },
            device: { type: "string" },
            factors: { type: "array", items: { enum: ["possession", "knowledge"] } },
            issuedAt: { type: "integer" },
            acr: { enum: ["pims:possession", "pims:possession+knowledge"] },
            amr: { type: "array", items: { enum: ["swk", "pin", "mfa", "sms"] } },
            authTime: { type: "integer" },
            assertion: {
              type: "string",
              description:
                "Compact JWS (ES256, typ pims-stepup+jwt), when asked: check it with /.well-known/jwks.json.",
            },
          },
          required: ["valid"],
        }),
        ...failures([2000, 2101, 2102, 2204, 2301, 2383], { body: true }),
      },
    },
  };
  Object.assign(paths, adminPaths(), operatorPaths());
  return {
    openapi: "3.1.0",
    info: {
      title: "Pims",
      version,
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
      description:
        "Open strong authentication: the StrongAuthentication contract over HTTP. Every operation is a POST with a JSON object of its parameters; answers are `{status: SUCCEEDED, result}` or `{status: FAILED, error: {code, label}}`.",
    },
    // Relative: the server this document is fetched from (GET /openapi.json).
    servers: [{ url: "/", description: "The Pims server serving this document." }],
    paths,
    components: {
      securitySchemes: {
        adminKey: {
          type: "http",
          scheme: "bearer",
          description: "PIMS_ADMIN_KEY. Without that setting the admin routes do not exist (404, 2002).",
        },
        metricsToken: { type: "http", scheme: "bearer", description: "PIMS_METRICS_TOKEN, when set." },
        session: {
          type: "http",
          scheme: "bearer",
          description: "Pims access token (pat_…) or a JWT of the configured OpenID Connect issuer.",
        },
        relyingPartyKey: { type: "http", scheme: "bearer", description: "A relying party's API key (prk_…)." },
      },
      parameters: {
        deviceId: header("Pims-Device", "Device id: dev_ + thumbprint of its P-256 public key."),
        timestamp: header("Pims-Timestamp", "Epoch milliseconds (server time, ±5 min)."),
        nonce: header("Pims-Nonce", "128 random bits, base64url; single use."),
        signature: header(
          "Pims-Signature",
          "ECDSA P-256 (P1363, base64url) over PIMS-SIG-V1, method, path, timestamp, nonce, body digest, device id.",
        ),
        deviceKey: header("Pims-Device-Key", "Raw P-256 public key, base64url (devices still enrolling)."),
      },
      schemas: {
        Failure: {
          type: "object",
          description: "Every refusal: the catalogue code and its label (docs/decisions/0002-error-codes.md).",
          required: ["status", "error"],
          properties: {
            status: { const: "FAILED" },
            error: {
              type: "object",
              required: ["code", "label"],
              properties: { code: { type: "integer" }, label: { type: "string" } },
            },
          },
        },
        ...ADMIN_SCHEMAS,
        SessionTokens: {
          type: "object",
          properties: {
            accessToken: { type: "string" },
            refreshToken: { type: "string" },
            expiresIn: { type: "integer" },
            username: { type: "string" },
            accountId: { type: "string" },
          },
        },
      },
    },
  };
}

function operationObject(op: DocumentedOperation): Record<string, unknown> {
  const required = op.params.filter((p) => p.required).map((p) => p.name);
  const deviceHeaders =
    op.device === "none"
      ? []
      : ["deviceId", "timestamp", "nonce", "signature", ...(op.device === "any" ? ["deviceKey"] : [])].map((name) => ({
          $ref: `#/components/parameters/${name}`,
        }));
  return {
    operationId: op.name,
    summary: `${op.id}: ${op.summary}`,
    description: `SDK: \`pims.${op.verb}("${op.api}", { ${op.selector.map((s) => `${s.key}: "${s.value}"`).join(", ")} … })\``,
    tags: [op.component],
    security: op.access === "session" ? [{ session: [] }] : [],
    ...(deviceHeaders.length ? { parameters: deviceHeaders } : {}),
    requestBody: jsonBody({
      type: "object",
      ...(required.length ? { required } : {}),
      properties: Object.fromEntries(
        op.params.map((p) => [
          p.name,
          { ...formatSchema(p.format), description: p.description, ...(p.secret ? { writeOnly: true } : {}) },
        ]),
      ),
    }),
    responses: {
      200: envelope(wireResult(op)),
      ...failures(documentedErrors(op), { body: true }),
    },
  };
}

/** What the server answers: the facade's result, except where the SDK keeps more (sessions). */
function wireResult(op: DocumentedOperation): Record<string, unknown> {
  if (op.name === "user.createAccount" || op.name === "user.login")
    return { $ref: "#/components/schemas/SessionTokens" };
  if (op.name === "user.loginWithToken") {
    return { type: "object", properties: { username: { type: "string" }, accountId: { type: "string" } } };
  }
  if (op.result === null) return { type: "null" };
  return {
    type: "object",
    required: Object.entries(op.result)
      .filter(([, field]) => field.type !== "transaction")
      .map(([name]) => name),
    properties: Object.fromEntries(Object.entries(op.result).map(([name, field]) => [name, fieldSchema(field)])),
  };
}

function fieldSchema(field: DocumentedResultField): Record<string, unknown> {
  if (field.type === "enum") return { type: "string", enum: [...field.values], description: field.description };
  if (field.type === "transaction") return { type: "object", description: field.description };
  return { type: field.type, description: field.description };
}

function jsonBody(schema: Record<string, unknown>) {
  return { required: true, content: { "application/json": { schema } } };
}

function header(name: string, description: string) {
  return { name, in: "header", required: true, description, schema: { type: "string" } };
}
