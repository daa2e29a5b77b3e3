import { describe, expect, it } from "vitest";
import { createTokenCache } from "../src/token-cache.js";

describe("the token cache", () => {
  it("holds at most max entries, evicting the oldest entry not used since it was stored", () => {
    const cache = createTokenCache<number>(3);
    for (const [i, token] of ["a", "b", "c"].entries()) cache.set(token, i, 100);
    expect(cache.get("a", 0)).toBe(0); // a is used: it gets a second chance
    cache.set("d", 3, 100);
    expect(cache.size).toBe(3);
    expect(cache.get("b", 0)).toBeUndefined(); // the oldest unused went first
    expect(cache.get("a", 0)).toBe(0);
    expect(cache.get("c", 0)).toBe(2);
    expect(cache.get("d", 0)).toBe(3);
  });

  it("evicts even when every entry was used, and stays bounded under churn", () => {
    const cache = createTokenCache<number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`t${i}`, i, 100);
      cache.get(`t${i}`, 0);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get("t9999", 0)).toBe(9999);
  });

  it("never serves an entry at or past its expiry", () => {
    const cache = createTokenCache<string>(10);
    cache.set("x", "value", 50);
    expect(cache.get("x", 49)).toBe("value");
    expect(cache.get("x", 50)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("never serves one token's entry for another that shares its tail, and serves a fresh copy of the same text", () => {
    const cache = createTokenCache<string>(10);
    const tail = "x".repeat(40);
    cache.set(`a.${tail}`, "a", 100);
    expect(cache.get(`b.${tail}`, 0)).toBeUndefined();
    cache.set(`b.${tail}`, "b", 100);
    expect(cache.get(`b.${tail}`, 0)).toBe("b");
    expect(cache.get(`a.${tail}`, 0)).toBeUndefined();
    const copy = ["b.", tail].join("");
    expect(cache.get(copy, 0)).toBe("b");
  });
});
