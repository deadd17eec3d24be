/**
 * The Express middleware, typed for Express: importing this module adds `req.pims` to Express's
 * `Request`.
 *
 * @example
 * import { stepUpMiddleware } from "@pims/relying-party/express";
 * app.post("/transfer", express.json(), stepUpMiddleware({ pimsUrl, apiKey }), (req, res) => res.json(req.pims));
 */
import type { NextFunction, Request, Response } from "express";
import type { StepUp, StepUpOptions } from "./checkStepUp.js";
import type { VerifierOptions } from "./createVerifier.js";
import { stepUpMiddleware as untypedStepUpMiddleware } from "./stepUpMiddleware.js";

declare global {
  namespace Express {
    interface Request {
      /** The verified step-up, after `stepUpMiddleware`; `undefined` elsewhere. */
      pims?: StepUp;
    }
  }
}

/** Protects a route: `next()` with `req.pims` set, or a 2302/2301/2204 answer. Throws at creation without a key. */
export function stepUpMiddleware(
  options: VerifierOptions & StepUpOptions<Request>,
): (req: Request, res: Response, next: NextFunction) => void {
  return untypedStepUpMiddleware(options as VerifierOptions & StepUpOptions<never>) as unknown as (
    req: Request,
    res: Response,
    next: NextFunction,
  ) => void;
}

export type { StepUp, StepUpOptions, VerifierOptions };
