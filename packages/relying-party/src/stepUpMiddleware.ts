import { checkStepUp, checkStepUpOptions, type StepUp, type StepUpOptions } from "./checkStepUp.js";
import { createVerifier, type VerifierOptions } from "./createVerifier.js";

/** The parts of a Node/Express request and response the middleware uses. */
export interface NodeRequest {
  headers: Record<string, string | string[] | undefined>;
  pims?: StepUp;
}
export interface NodeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Protects a route of Express (or connect, or plain `node:http` with a `next`): the request goes on
 * with `req.pims` (account, device, factors, issue time) when it carries a valid OTP in `Pims-OTP`;
 * otherwise the client gets 2302 in the vendor's message shape.
 *
 * @example
 * app.post("/transfer", express.json(), stepUpMiddleware({ pimsUrl, apiKey, require: ["possession", "knowledge"] }), handler);
 */
export function stepUpMiddleware<R extends NodeRequest>(options: VerifierOptions & StepUpOptions<R>) {
  checkStepUpOptions(options);
  const verify = createVerifier(options);
  return (request: R, response: NodeResponse, next: (error?: unknown) => void): void => {
    checkStepUp(request, request.headers, verify, options).then((decision) => {
      if (decision.ok) {
        request.pims = decision.stepUp;
        next();
        return;
      }
      response.statusCode = decision.refusal.status;
      for (const [name, value] of Object.entries(decision.refusal.headers)) response.setHeader(name, value);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(decision.refusal.body));
    }, next);
  };
}
