import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonicalJson.js";

/**
 * Vectors of RFC 8785 (https://www.rfc-editor.org/rfc/rfc8785): the example of §3.2.2 with its
 * canonical text (§3.2.3) and its UTF-8 bytes (§3.2.4), the sorting example of §3.2.3, and the
 * number serialization table of Appendix B (IEEE 754 bit patterns and the text each must give).
 */
describe("canonicalJson: RFC 8785 (JCS)", () => {
  // §3.2.2, as the RFC prints it (a JSON text, parsed as a receiver would).
  const example = `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
  "literals": [null, true, false]
}`;
  const canonical = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
  const utf8 = `
    7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
    75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
    5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
    65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
    5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
    30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`;

  it("gives the canonical text of §3.2.3 for the example of §3.2.2", () => {
    expect(canonicalJson(JSON.parse(example))).toBe(canonical);
  });

  it("gives the UTF-8 bytes of §3.2.4", () => {
    const hex = [...new TextEncoder().encode(canonicalJson(JSON.parse(example)))]
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join(" ");
    expect(hex).toBe(utf8.trim().split(/\s+/).join(" "));
  });

  it('sorts members by UTF-16 code units (§3.2.3), not in the order JavaScript keeps them ("1" first)', () => {
    const input = `{
  "\\u20ac": "Euro Sign",
  "\\r": "Carriage Return",
  "\\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\\ud83d\\ude00": "Emoji: Grinning Face",
  "\\u0080": "Control",
  "\\u00f6": "Latin Small Letter O With Diaeresis"
}`;
    const output = canonicalJson(JSON.parse(input));
    const names = [...output.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((match) => JSON.parse(`"${match[1]}"`));
    expect(names).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  // Appendix B: IEEE 754 double (hex) → its JCS text; NaN and Infinity must be refused.
  const NUMBERS: readonly (readonly [string, string | null])[] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["7fffffffffffffff", null],
    ["7ff0000000000000", null],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];

  it.each(NUMBERS)("serializes the double %s as %s (Appendix B)", (hex, text) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(`0x${hex}`));
    const value = view.getFloat64(0);
    if (text === null) expect(() => canonicalJson(value)).toThrow(TypeError);
    else expect(canonicalJson(value)).toBe(text);
  });

  it("refuses what JSON cannot carry: a lone surrogate, undefined, a class instance, a function", () => {
    expect(() => canonicalJson("\ud83d")).toThrow(TypeError);
    expect(() => canonicalJson({ ["\ude00"]: 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
    expect(() => canonicalJson([new Date(0)])).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
    expect(canonicalJson(Object.assign(Object.create(null), { b: [], a: {} }))).toBe('{"a":{},"b":[]}');
  });
});
