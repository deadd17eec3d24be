import type { Handlers } from "../core/OperationCall.js";
import type { Services } from "../Services.js";

/** S1 (is this device enrolled and active?) and S2 (is the account blocked?). */
export function deviceHandlers(
  services: Pick<Services, "pinGuard">,
): Handlers<"account.isDeviceActivated" | "account.isAccountBlocked"> {
  return {
    "account.isDeviceActivated": async (call) => ({ isDeviceActivated: call.device?.record?.status === "active" }),
    "account.isAccountBlocked": async (call) => ({
      isAccountBlocked: (await services.pinGuard.isBlocked(call.principal.accountId)) ? "PinBlocked" : "NotBlocked",
    }),
  };
}
