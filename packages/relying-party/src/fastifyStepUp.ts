import { checkStepUp, checkStepUpOptions, type StepUp, type StepUpOptions } from "./checkStepUp.js";
import {
  checkVerifierOptions,
  createVerifier,
  type RelyingPartyLogger,
  type VerifierOptions,
} from "./createVerifier.js";

/** The parts of Fastify's request and reply the hook uses (no dependency on Fastify itself). */
export interface FastifyLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  pims?: StepUp;
}
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(body: unknown): unknown;
}
export interface FastifyLikeInstance {
  decorate(name: string, value: unknown): unknown;
  decorateRequest(name: string, value: unknown): unknown;
  readonly log?: RelyingPartyLogger;
}

/**
 * A Fastify `preHandler` that protects a route: on success `request.pims` holds the step-up; on
 * failure the reply is 2302 (or 2301, or 2204) in the vendor's message shape.
 *
 * @example
 * app.post("/transfer", { preHandler: fastifyStepUp({ pimsUrl, apiKey }) }, async (request) => request.pims);
 */
export function fastifyStepUp<R extends FastifyLikeRequest>(options: VerifierOptions & StepUpOptions<R>) {
  return stepUpHook(createVerifier(options), options);
}

function stepUpHook<R extends FastifyLikeRequest>(
  verify: ReturnType<typeof createVerifier>,
  options: StepUpOptions<R>,
) {
  checkStepUpOptions(options);
  return async (request: R, reply: FastifyLikeReply): Promise<void> => {
    const decision = await checkStepUp(request, request.headers, verify, options);
    if (decision.ok) {
      request.pims = decision.stepUp;
      return;
    }
    reply.code(decision.refusal.status);
    for (const [name, value] of Object.entries(decision.refusal.headers)) reply.header(name, value);
    await reply.header("content-type", "application/json").send(decision.refusal.body);
  };
}

/**
 * The Fastify plugin form: `app.register(pimsPlugin, { pimsUrl, apiKey })`, then
 * `{ preHandler: app.pimsStepUp({ context, require }) }` on each protected route.
 */
export function pimsPlugin(
  instance: FastifyLikeInstance,
  options: VerifierOptions,
  done: (error?: Error) => void,
): void {
  try {
    checkVerifierOptions(options);
  } catch (error) {
    done(error as Error);
    return;
  }
  // One verifier for all routes, so failures are reported once per interval, by the app's logger.
  const verify = createVerifier({ ...(instance.log ? { logger: instance.log } : {}), ...options });
  instance.decorateRequest("pims", undefined);
  instance.decorate("pimsStepUp", <R extends FastifyLikeRequest>(route: StepUpOptions<R> = {}) =>
    stepUpHook<R>(verify, route),
  );
  done();
}
// Registered on the instance it is given, not in a child scope (what fastify-plugin does).
(pimsPlugin as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;
