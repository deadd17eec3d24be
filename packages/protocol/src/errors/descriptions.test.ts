import { describe, expect, it } from "vitest";
import { errorBody } from "../message.js";
import { ERROR_CATALOGUE } from "./catalogue.js";
import { describeError, ERROR_DESCRIPTIONS } from "./descriptions.js";

describe("error descriptions", () => {
  const codes = Object.keys(ERROR_CATALOGUE).map(Number);

  it("gives every catalogue code a description, and describes no code outside it", () => {
    expect(Object.keys(ERROR_DESCRIPTIONS).map(Number).sort()).toEqual(codes.sort());
  });

  it.each(codes)("describes %i in plain words that say what to do, not the vendor's label again", (code) => {
    const text = describeError(code);
    expect(text).toBe(text.trim());
    expect(text.length).toBeGreaterThan(20);
    expect(text).toMatch(/^[a-z]/);
    expect(text).toContain(" — ");
    expect(text).not.toMatch(/inwebo|\[PARAMETER\]|\[Component\]/i);
    expect(text.toLowerCase()).not.toBe(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].label.toLowerCase());
  });

  it("says what 2313 means", () => {
    expect(describeError(2313)).toBe("this device is not enrolled yet — enroll it first");
  });

  it("answers the description of 2000 for a code outside the catalogue", () => {
    expect(describeError(9999)).toBe(ERROR_DESCRIPTIONS[2000]);
    expect(describeError(Number.NaN)).toBe(ERROR_DESCRIPTIONS[2000]);
  });

  it("leaves the wire message as it was: code and the vendor's label, no description", () => {
    expect(errorBody(2313)).toEqual({ code: 2313, label: ERROR_CATALOGUE[2313].label });
  });
});
