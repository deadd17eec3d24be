import { describe, expect, it } from "vitest";
import { addressKey } from "./addressKey.js";

describe("addressKey", () => {
  it("keys IPv6 by its prefix, IPv4 whole", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1", 64)).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:ffff:ffff:ffff:ffff", 64)).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:3::1", 64)).toBe("2001:db8:1:3::/64");
    expect(addressKey("2001:db8:1:2:aaaa::1", 56)).toBe("2001:db8:1::/56");
    expect(addressKey("2001:db8:1:2ff::1", 56)).toBe("2001:db8:1:200::/56");
    expect(addressKey("::1", 128)).toBe("::1/128");
    expect(addressKey("fe80::1%eth0", 64)).toBe("fe80::/64");
    expect(addressKey("::ffff:192.0.2.7", 64)).toBe("192.0.2.7");
    expect(addressKey("192.0.2.7", 64)).toBe("192.0.2.7");
  });
});
