import { describe, expect, it } from "vitest";
import { canonicalTransaction, TRANSACTION_MAX_BYTES } from "./canonicalTransaction.js";

describe("canonicalTransaction (decision 0025)", () => {
  it("gives the RFC 8785 text of a transaction, whatever the order of its members", () => {
    const payment = { type: "payment", amount: 1999, currency: "EUR", payee: { name: "Ionity", iban: "DE89…" } };
    const reordered = { payee: { iban: "DE89…", name: "Ionity" }, currency: "EUR", amount: 1999, type: "payment" };
    const canonical = '{"amount":1999,"currency":"EUR","payee":{"iban":"DE89…","name":"Ionity"},"type":"payment"}';
    expect(canonicalTransaction(payment)).toBe(canonical);
    expect(canonicalTransaction(reordered)).toBe(canonical);
    expect(canonicalTransaction({ type: "vehicle.share", amount: "19.99", days: -1 })).toBe(
      '{"amount":"19.99","days":-1,"type":"vehicle.share"}',
    );
  });

  it.each([
    ["a float amount", { type: "payment", amount: 19.99 }],
    ["an integer beyond 2^53", { type: "payment", amount: 2 ** 53 }],
    ["no type", { vin: "VF3" }],
    ["a type that is not a string", { type: 1 }],
    ["an upper-case type", { type: "Vehicle.unlock" }],
    ["a type with an empty word", { type: "vehicle..unlock" }],
    ["a boolean member", { type: "vehicle.start", engine: true }],
    ["a null member", { type: "vehicle.start", engine: null }],
    ["an array member", { type: "vehicle.share", days: ["mon"] }],
    ["an empty string", { type: "vehicle.unlock", vin: "" }],
    ["an empty member name", { type: "vehicle.unlock", "": "x" }],
    ["a control character", { type: "vehicle.unlock", vin: "VF3\n" }],
    ["a bidirectional override", { type: "payment", payee: "\u202eeve" }],
    ["a zero-width space", { type: "payment", payee: "Ionity\u200b GmbH" }],
    ["a soft hyphen in a member name", { type: "payment", ["pay\u00adee"]: "Ionity GmbH" }],
    ["a byte-order mark", { type: "payment", payee: "\ufeffIonity GmbH" }],
    ["a variation selector", { type: "payment", payee: "Ionity\ufe0f GmbH" }],
    ["a tag character", { type: "payment", payee: "Ionity\u{e0041} GmbH" }],
    ["a lone surrogate", { type: "payment", payee: "\ud800" }],
    ["objects nested five deep", { type: "x", a: { b: { c: { d: {} } } } }],
    ["a __proto__ member (as JSON.parse makes it)", JSON.parse('{"type":"payment","__proto__":{"x":"1"}}')],
    ["a constructor member", { type: "payment", payee: { constructor: "x" } }],
    ["an array", [{ type: "payment" }]],
    ["a string", '{"type":"payment"}'],
    ["a date", new Date(0)],
  ])("refuses %s", (_name, value) => {
    expect(canonicalTransaction(value)).toBeUndefined();
  });

  it("accepts objects nested four deep, and a canonical text of exactly the size limit", () => {
    expect(canonicalTransaction({ type: "x", a: { b: { c: {} } } })).toBe('{"a":{"b":{"c":{}}},"type":"x"}');
    const room = TRANSACTION_MAX_BYTES - '{"type":"x","v":""}'.length;
    // "é" is two bytes in UTF-8: the limit counts bytes, not characters.
    const fits = { type: "x", v: "é".repeat(Math.floor(room / 2)) + "a".repeat(room % 2) };
    expect(new TextEncoder().encode(canonicalTransaction(fits)).length).toBe(TRANSACTION_MAX_BYTES);
    expect(canonicalTransaction({ ...fits, v: `${fits.v}a` })).toBeUndefined();
  });
});
