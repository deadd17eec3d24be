/** WebCrypto as the SDK uses it (checked by `initialize`); internal, so no DOM type reaches the public declarations. */
export interface SdkCrypto {
  getRandomValues(array: Uint8Array): unknown;
  readonly subtle: SubtleCrypto;
}
