/**
 * The Fastify plugin, typed for Fastify: importing this module adds `request.pims` to
 * `FastifyRequest` and `pimsStepUp` to `FastifyInstance`.
 *
 * @example
 * import { pimsPlugin } from "@pims/relying-party/fastify";
 * await app.register(pimsPlugin, { pimsUrl, apiKey });
 * app.post("/transfer", { preHandler: app.pimsStepUp({ require: ["possession", "knowledge"] }) }, handler);
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import type { StepUp, StepUpOptions } from "./checkStepUp.js";
import type { VerifierOptions } from "./createVerifier.js";
import { fastifyStepUp as untypedFastifyStepUp, pimsPlugin as untypedPimsPlugin } from "./fastifyStepUp.js";

/** A Fastify `preHandler` that lets the request through with `request.pims`, or answers 2302/2301/2204. */
export type PimsPreHandler<R extends FastifyRequest = FastifyRequest> = (
  request: R,
  reply: FastifyReply,
) => Promise<void>;

declare module "fastify" {
  interface FastifyRequest {
    /** The verified step-up, on a route protected by `pimsStepUp`; `undefined` elsewhere. */
    pims?: StepUp;
  }
  interface FastifyInstance {
    /** A `preHandler` that demands a valid OTP (after `app.register(pimsPlugin, …)`). */
    pimsStepUp(options?: StepUpOptions<FastifyRequest>): PimsPreHandler;
    /** The same, with `context` reading a route's typed request, e.g. `FastifyRequest<{ Body: Transfer }>`. */
    pimsStepUp<R extends FastifyRequest>(options: StepUpOptions<R>): PimsPreHandler<R>;
  }
}

/** `app.register(pimsPlugin, { pimsUrl, apiKey })`: fails to register when the key is missing. */
export const pimsPlugin: FastifyPluginCallback<VerifierOptions> =
  untypedPimsPlugin as unknown as FastifyPluginCallback<VerifierOptions>;

/** A `preHandler` without the plugin. */
export function fastifyStepUp<R extends FastifyRequest = FastifyRequest>(
  options: VerifierOptions & StepUpOptions<R>,
): PimsPreHandler<R> {
  return untypedFastifyStepUp(options as VerifierOptions & StepUpOptions<never>) as unknown as PimsPreHandler<R>;
}

export type { StepUp, StepUpOptions, VerifierOptions };
