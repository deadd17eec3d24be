export {
  ASSERTION_ALGORITHM,
  ASSERTION_TYPE,
  type AssertionClaims,
  type AssertionJwk,
  JWKS_PATH,
} from "./assertion.js";
export { ERROR_CATALOGUE, type ErrorCategory, type ErrorDefinition } from "./errors/catalogue.js";
export { describeError, ERROR_DESCRIPTIONS } from "./errors/descriptions.js";
export {
  ErrorCode,
  type ErrorCodeByKey,
  isKnownErrorCode,
  type PimsErrorCode,
  type ServerErrorCode,
} from "./errors/ErrorCode.js";
export { formatLabel, type LabelValues, labelFor } from "./errors/formatLabel.js";
export { errorBody, type PimsErrorBody, type PimsFailure, type PimsMessage, type PimsSuccess } from "./message.js";
export { checkResult } from "./operations/checkResult.js";
export { documentedErrors } from "./operations/documentedErrors.js";
export { IW, NET } from "./operations/errorSets.js";
export * from "./operations/index.js";
export { type Resolution, type ResolveFailure, resolveOperation, selectorKeys } from "./operations/resolveOperation.js";
export { isAbsent, normalizeValue, OTP_FORMAT, PIN_FORMAT, SMS_CODE_FORMAT } from "./params/formats.js";
export { isPlainObject } from "./params/isPlainObject.js";
export { type ParamsValidation, validateParams } from "./params/validateParams.js";
export {
  type DevicePublicJwk,
  type Factor,
  OTP_HEADER,
  RELYING_PARTY_PATHS,
  type TransactionEvidence,
  VERIFY_PARAMS,
  type VerifyRequest,
  type VerifyResult,
} from "./relyingParty.js";
export type { EcJwk, SigningVector } from "./SigningVector.js";
export {
  fromBase64Url,
  SIGNATURE_SHAPES,
  SIGNATURE_VERSION,
  type SignedParts,
  signingString,
  toBase64Url,
} from "./signing.js";
export {
  ACR,
  type Acr,
  type AuthChallenge,
  type AuthenticationMethod,
  acrOf,
  factorsOf,
  formatStepUpChallenge,
  INSUFFICIENT_USER_AUTHENTICATION,
  parseWwwAuthenticate,
  readStepUpChallenge,
  type StepUpChallenge,
} from "./stepUp.js";
export { canonicalJson } from "./transaction/canonicalJson.js";
export {
  canonicalTransaction,
  TRANSACTION_MAX_BYTES,
  TRANSACTION_MAX_DEPTH,
  type Transaction,
  type TransactionValue,
} from "./transaction/canonicalTransaction.js";
export type { TransactionSigningVector } from "./transaction/TransactionSigningVector.js";
export {
  readTransactionSigningString,
  TRANSACTION_SIGNATURE_VERSION,
  type TransactionSignedParts,
  transactionSigningString,
} from "./transaction/transactionSigningString.js";
export {
  HEADERS,
  INTERNAL_PATHS,
  isWireResponse,
  PROTOCOL_VERSION,
  type SessionTokens,
  type WireResponse,
} from "./wire.js";
