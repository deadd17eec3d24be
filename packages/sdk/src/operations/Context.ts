import type { OperationDeclaration, PimsErrorBody } from "@pims/protocol";
import type { SdkCrypto } from "../sdkCrypto.js";
import type { SessionKeeper } from "../session/SessionKeeper.js";
import type { PimsStore } from "../stores/PimsStore.js";
import type { CallOutcome, TransportConfig } from "../transport/callServer.js";

/** What an operation handler works with. */
export interface Context {
  readonly transport: TransportConfig;
  readonly store: PimsStore;
  /** The WebCrypto in use: the platform's or the one given to `initialize`. */
  readonly crypto: SdkCrypto;
  readonly session: SessionKeeper;
  readonly transactionId: string;
  /** Server clock minus this device's, learned from every answer; signatures use server time. */
  readonly timing: { offsetMs: number };
}

/** Runs one resolved, validated operation. */
export type Handler = (
  context: Context,
  operation: OperationDeclaration,
  params: Readonly<Record<string, string>>,
) => Promise<CallOutcome>;

export type { CallOutcome, PimsErrorBody };
