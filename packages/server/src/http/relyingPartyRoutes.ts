import { RELYING_PARTY_PATHS } from "@pims/protocol";
import type { FastifyInstance } from "fastify";
import { PimsError } from "../core/PimsError.js";
import {
  readVerifyRequest,
  reserve,
  type VerifyInput,
  verifyForRelyingParty,
} from "../relyingParty/verifyForRelyingParty.js";
import type { TenantRegistry } from "../tenants/TenantRegistry.js";
import { bearerOf } from "./authenticate.js";

/**
 * `POST /v1/rp/verify`: a relying party (its API key as bearer) verifies an OTP for an account
 * (by id, or by the access token the client called it with) and, when asked, a context. A valid
 * OTP is consumed. Limits: verifications per relying party per minute (reserved atomically), and
 * wrong guesses per live OTP (then the account's live OTPs are voided; nothing after is refused).
 * Every verification is audited. The relying party's key names its tenant (decision 0028), whose
 * owners do the rest: an OTP, a token or an account of another tenant is not found.
 */
export function registerRelyingPartyRoutes(app: FastifyInstance, tenants: TenantRegistry): void {
  app.post(RELYING_PARTY_PATHS.verify, { config: { operation: "rp.verify" } }, async (request) => {
    const key = bearerOf(request);
    const tenant = key === undefined ? undefined : await tenants.forRelyingPartyKey(key);
    const services = tenant?.services;
    const relyingParty = key === undefined || !services ? undefined : await services.relyingParties.authenticate(key);
    if (!relyingParty || !tenant || !services) throw new PimsError(2301);
    request.tenantLabel = tenant.id;
    const limit = { key: `rp:${relyingParty.id}`, windowMs: 60_000, max: services.config.relyingParties.maxPerMinute };
    let input: VerifyInput;
    try {
      input = readVerifyRequest(request.body);
    } catch (error) {
      // A malformed request counts against the limit too (2383 first when past it).
      await reserve(services.counters, limit);
      throw error;
    }
    const result = await verifyForRelyingParty(services, relyingParty.id, input, request.ip, limit);
    return { status: "SUCCEEDED", result };
  });
}
