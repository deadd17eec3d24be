import type { PinSettings } from "../config/Config.js";
import { PimsError } from "../core/PimsError.js";
import { isCommonPin } from "./commonPins.js";

/**
 * The policy for a PIN being chosen (not for one being checked, so a policy made stricter later
 * does not lock anyone out): digits only, `minLength`–`maxLength`, not a common PIN when the
 * blocklist is on, and none of the tenant's own blocked PINs. 2102 naming the parameter otherwise.
 */
export function checkNewPin(pin: string, settings: PinSettings, parameter: string): void {
  const fits =
    /^[0-9]+$/.test(pin) &&
    pin.length >= settings.minLength &&
    pin.length <= settings.maxLength &&
    !(settings.blockCommon && isCommonPin(pin)) &&
    !settings.blocked.includes(pin);
  if (!fits) throw new PimsError(2102, { parameter });
}
