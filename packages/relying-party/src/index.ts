export type { AssertionClaims, Factor, TransactionEvidence, VerifyRequest, VerifyResult } from "@pims/protocol";
export { checkStepUp, type Refusal, type StepUp, type StepUpOptions } from "./checkStepUp.js";
export {
  createVerifier,
  type PimsFailureKind,
  PimsUnavailableError,
  type RelyingPartyLogger,
  type VerifierOptions,
} from "./createVerifier.js";
export { fastifyStepUp, pimsPlugin } from "./fastifyStepUp.js";
export type { JwksOptions } from "./JwksCache.js";
export { stepUpMiddleware } from "./stepUpMiddleware.js";
export { AssertionError, type AssertionFailure, type AssertionOptions, verifyAssertion } from "./verifyAssertion.js";
export {
  type ApprovedTransaction,
  type EvidenceCheck,
  type EvidenceExpectation,
  verifyTransactionEvidence,
} from "./verifyTransactionEvidence.js";
