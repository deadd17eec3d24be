import type { FastifyRequest } from "fastify";
import type { Principal } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import type { Services } from "../Services.js";

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The principal of a request's bearer token: a Pims access token, or — when an OpenID Connect
 * issuer is configured — one of its JWTs. Anything else: 2301.
 */
export async function authenticate(request: FastifyRequest, services: Services): Promise<Principal> {
  const token = bearerOf(request);
  if (token === undefined) throw new PimsError(2301);
  if (token.startsWith("pat_")) {
    const session = await services.sessions.authenticate(token);
    if (session) return session;
  } else if (services.oidc && JWT_SHAPE.test(token)) {
    const account = await services.oidc.authenticate(token);
    if (account) return { ...account, sessionId: undefined };
  }
  throw new PimsError(2301);
}

/** The token of an `Authorization: Bearer` header, or `undefined`. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/i.exec(header.trim());
  return match?.[1];
}
