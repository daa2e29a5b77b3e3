import { describe, expect, it } from "vitest";
import { addressKey, createAddressBudget } from "../../src/rate-limit/address-budget.js";

describe("the per-address budget of cold exchanges", () => {
  it("gives `perMinute` at once, then one every 60/perMinute s, with the wait in whole seconds", () => {
    let now = 1_000_000;
    const budget = createAddressBudget({ perMinute: 6, now: () => now });
    for (let i = 0; i < 6; i++) expect(budget.take("10.0.0.1")).toBe(0);
    expect(budget.take("10.0.0.1")).toBe(10);
    expect(budget.take("10.0.0.2")).toBe(0); // another address has its own
    now += 9_000;
    expect(budget.take("10.0.0.1")).toBe(1);
    now += 1_000;
    expect(budget.take("10.0.0.1")).toBe(0);
    expect(budget.take("10.0.0.1")).toBe(10);
  });

  it("counts an IPv6 host by its /64 and an IPv4-mapped address as IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
    const budget = createAddressBudget({ perMinute: 2 });
    expect(budget.take("2001:db8:1:2::1")).toBe(0);
    expect(budget.take("2001:db8:1:2::2")).toBe(0);
    expect(budget.take("2001:db8:1:2:ffff::3")).toBeGreaterThan(0);
  });

  it("stays bounded under a flood of distinct addresses", () => {
    const budget = createAddressBudget({ perMinute: 1, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) expect(budget.take(`10.1.${i >> 8}.${i & 255}`)).toBe(0);
    // Forgotten addresses start over with a full bucket; the last ones are still remembered.
    expect(budget.take("10.1.3.231")).toBeGreaterThan(0);
  });

  it("checks its options when built", () => {
    expect(() => createAddressBudget({ perMinute: 0 })).toThrow(RangeError);
    expect(() => createAddressBudget({ perMinute: 1, maxAddresses: 0 })).toThrow(RangeError);
  });
});
