import type { HandlerMap } from "../http/OperationHandler.js";
import { principalOf } from "../http/OperationHandler.js";
import type { Services } from "../Services.js";

/** S1 (is this device enrolled and active?) and S2 (is the account blocked?). */
export function deviceHandlers(services: Services): HandlerMap {
  return {
    "account.isDeviceActivated": async (call) => ({ isDeviceActivated: call.device?.record?.status === "active" }),
    "account.isAccountBlocked": async (call) => ({
      isAccountBlocked: (await services.pinGuard.isBlocked(principalOf(call).accountId)) ? "PinBlocked" : "NotBlocked",
    }),
  };
}
