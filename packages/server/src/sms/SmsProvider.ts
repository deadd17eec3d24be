/** One text message to one E.164 number. */
export interface SmsMessage {
  readonly to: string;
  readonly body: string;
  /** The sender the tenant shows (`sms.senderId`); absent: the operator's or the provider's default. */
  readonly from?: string;
}

/** Delivers SMS. `send` resolves once the operator accepted the message, and throws otherwise. */
export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<void>;
}

/** The operator refused or could not be reached; `status` is its HTTP status when it answered. */
export class SmsDeliveryError extends Error {
  override readonly name = "SmsDeliveryError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
