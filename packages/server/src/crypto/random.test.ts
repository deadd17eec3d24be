import { describe, expect, it } from "vitest";
import { randomId } from "./random.js";

describe("randomId", () => {
  it("gives distinct, well-formed ids across the refills of its pool of random bytes", () => {
    // Ids are drawn from a 4 KiB pool (409 ids a fill): a slice handed out twice, or a pool not
    // refilled, would repeat ids — an OTP or an audit event colliding with another's.
    const ids = Array.from({ length: 2_000 }, () => randomId("evt", 1_764_633_600_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-z]{9}[A-Za-z0-9_-]{14}$/);
    // Time first, so ids sort by creation time.
    expect(randomId("otp", 1) < randomId("otp", 2)).toBe(true);
  });
});
