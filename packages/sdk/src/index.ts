export type { PimsErrorBody, PimsFailure, PimsMessage, PimsSuccess } from "@pims/protocol";
export { ErrorCode } from "@pims/protocol";
export { createPims } from "./createPims.js";
export {
  needsStrongAuthentication,
  type StrongAuthenticationRequest,
  strongAuthenticationRequest,
} from "./needsStrongAuthentication.js";
export { fileStore } from "./stores/fileStore.js";
export { indexedDbStore } from "./stores/indexedDbStore.js";
export { memoryStore } from "./stores/memoryStore.js";
export type { PimsStore } from "./stores/PimsStore.js";
export { type SecureStorageAdapter, secureStore } from "./stores/secureStore.js";
export type { Pims, PimsCallback, PimsConfig, PimsCredential, PimsCrypto, PimsProfile } from "./types.js";
