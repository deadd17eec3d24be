import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { PhoneSettings } from "../config/Config.js";
import { PimsError } from "../core/PimsError.js";

/** A number Pims accepted: E.164 and its country. */
export interface PhoneNumber {
  readonly e164: string;
  readonly country: string | undefined;
}

/**
 * Parses phone numbers the way the deployment wants: national (`0612345678`) in the default region
 * or international (`+33612345678`, `0033612345678`); valid for its country (libphonenumber's
 * full metadata); mobile when `mobileOnly`; in the allowed countries when a list is set; not in a
 * denied range (high-cost satellite, international-network and premium ranges by default).
 * Anything else: 2102 phoneNumber.
 */
export class PhoneNumbers {
  constructor(private readonly settings: PhoneSettings) {}

  parse(input: string): PhoneNumber {
    const parsed = parsePhoneNumberFromString(input, this.settings.defaultRegion as never);
    const invalid = () => new PimsError(2102, { parameter: "phoneNumber" });
    if (!parsed?.isValid()) throw invalid();
    const type = parsed.getType();
    if (this.settings.mobileOnly && type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") throw invalid();
    if (this.settings.countries.length > 0 && !this.settings.countries.includes(parsed.country ?? "")) throw invalid();
    if (this.settings.deniedPrefixes.some((prefix) => parsed.number.startsWith(prefix))) throw invalid();
    return { e164: parsed.number, country: parsed.country };
  }

  /** S3's format: national digits in the default region (`0612345678`), E.164 elsewhere. */
  display(e164: string): string {
    const parsed = parsePhoneNumberFromString(e164);
    if (parsed && parsed.country === this.settings.defaultRegion) {
      return parsed.format("NATIONAL").replace(/[^0-9+]/g, "");
    }
    return e164;
  }
}
