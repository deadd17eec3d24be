import { describe, expect, it } from "vitest";
import { ERROR_CATALOGUE } from "./catalogue.js";
import { ErrorCode, isKnownErrorCode } from "./ErrorCode.js";
import { formatLabel, labelFor } from "./formatLabel.js";

/**
 * Spec §4, with the labels of 2308–2317 as the seeds print them (../shared/seeds). The one
 * difference from the vendor data is the trailing space of 2302 and 2310, trimmed (spec §1).
 */
const SPEC_ROWS: ReadonlyArray<[number, string, string]> = [
  [2000, "Generic error", "Unknown error"],
  [2001, "Generic error", "Facade not initialized"],
  [2002, "Generic error", "API not supported"],
  [2005, "Generic error", "Duplicate command"],
  [2006, "Generic error", "Core not well configured"],
  [2007, "Generic error", "Facade already initialized"],
  [2101, "Input error", "Missing [PARAMETER] parameter"],
  [2102, "Input error", "Invalid [PARAMETER] parameter"],
  [2201, "Output Error", "Timeout"],
  [2202, "Output Error", "Network problem : No internet"],
  [2203, "Output Error", "Invalid return [Parsing error] ou [No data] ou [invalid Data]"],
  [2204, "Output Error", "Server Error"],
  [2301, "PIMS specific error", "Need Basic Authentication (to get CVS token)"],
  [2302, "PIMS specific error", "Need Strong Authentication"],
  [2303, "PIMS specific error", "Failed to logout"],
  [2305, "PIMS specific error", "The sms code is invalid"],
  [2306, "PIMS specific error", "The sms code is expired"],
  [2307, "PIMS specific error", "User dont have a phone number"],
  [2308, "PIMS specific error", "inwebo: access refused"],
  [2309, "PIMS specific error", "inwebo: version error"],
  [2310, "PIMS specific error", "inwebo: account is blocked"],
  [2311, "PIMS specific error", "inwebo: internal state not correct"],
  [2312, "PIMS specific error", "inwebo: device is disabled or unknown"],
  [
    2313,
    "PIMS specific error",
    "inwebo: User must activate inWebo helium or inWebo Desktop Token before achieving this operation",
  ],
  [2314, "PIMS specific error", "inwebo: No service is available"],
  [2315, "PIMS specific error", "inwebo: the new password equals the previous one"],
  [2316, "PIMS specific error", "inwebo: the operation succeeded but it required a post-synchronization which failed"],
  [2317, "PIMS specific error", "inwebo: forbidden operation (due to activated state/blocked state/upgradable state)"],
  [2344, "PIMS specific error", "[Component] not configured"],
  [2390, "PIMS specific error", "Phone number allready registered"],
];

describe("error catalogue", () => {
  it.each(SPEC_ROWS)("carries %i with its category and exact label", (code, category, label) => {
    expect(isKnownErrorCode(code)).toBe(true);
    const row = ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE];
    expect(row.category).toBe(category);
    expect(row.label).toBe(label);
  });

  it("gives every row an HTTP status, a retry flag and a unique key", () => {
    const keys = new Set<string>();
    for (const [code, row] of Object.entries(ERROR_CATALOGUE)) {
      expect(row.httpStatus, String(code)).toBeGreaterThanOrEqual(400);
      expect(row.httpStatus, String(code)).toBeLessThan(600);
      expect(typeof row.retryable).toBe("boolean");
      expect(row.label).toBe(row.label.trim());
      expect(keys.has(row.key), row.key).toBe(false);
      keys.add(row.key);
    }
  });

  it("names codes by key, derived from the rows", () => {
    expect(ErrorCode.accessRefused).toBe(2308);
    expect(ErrorCode.accountBlocked).toBe(2310);
    expect(ErrorCode.needBasicAuthentication).toBe(2301);
    expect(Object.keys(ErrorCode)).toHaveLength(Object.keys(ERROR_CATALOGUE).length);
  });

  it("keeps Pims' own codes out of the vendor's ranges", () => {
    const own = Object.entries(ERROR_CATALOGUE).filter(([, row]) => row.origin === "pims");
    expect(own.map(([code]) => Number(code))).toEqual([2401, 2402]);
  });

  it("tells known codes from others", () => {
    expect(isKnownErrorCode(2304)).toBe(false);
    expect(isKnownErrorCode("2308")).toBe(false);
    expect(isKnownErrorCode(2308.5)).toBe(false);
  });
});

describe("label templating", () => {
  it("replaces [PARAMETER] with the parameter name", () => {
    expect(labelFor(2101, { parameter: "pinCode" })).toBe("Missing pinCode parameter");
    expect(labelFor(2102, { parameter: "phoneNumber" })).toBe("Invalid phoneNumber parameter");
  });

  it("replaces [Component] with the component name", () => {
    expect(labelFor(2344, { component: "StrongAuthentication" })).toBe("StrongAuthentication not configured");
  });

  it("leaves a placeholder without a value as the vendor wrote it", () => {
    expect(labelFor(2101)).toBe("Missing [PARAMETER] parameter");
    expect(formatLabel("[Component] and [PARAMETER]", { parameter: "x" })).toBe("[Component] and x");
  });

  it("does not touch labels without placeholders, nor the bracketed words of 2203", () => {
    expect(labelFor(2203, { parameter: "x", component: "y" })).toBe(ERROR_CATALOGUE[2203].label);
    expect(labelFor(2308, { parameter: "pinCode" })).toBe("inwebo: access refused");
  });

  it("answers the label of 2000 for a code outside the catalogue", () => {
    expect(labelFor(9999)).toBe("Unknown error");
  });
});
