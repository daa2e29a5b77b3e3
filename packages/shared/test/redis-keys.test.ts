import { describe, expect, it } from "vitest";
import { redisKeys } from "../src/index.js";

describe("redisKeys", () => {
  it("puts every revocation key in one Redis Cluster hash slot", () => {
    const keys = redisKeys("acme");
    const tags = [keys.denyEntries, keys.denyExpiry, keys.events, keys.queuePrefix].map(
      (key) => /\{([^}]*)\}/.exec(key)?.[1],
    );
    expect(new Set(tags)).toEqual(new Set(["acme"]));
    expect(keys.rateLimit("ip:1.2.3.4")).toBe("acme:rl:ip:1.2.3.4");
  });

  it("defaults to the patgate prefix", () => {
    expect(redisKeys().events).toBe("{patgate}:deny:events");
  });

  it.each(["", "a b", "x{y}", "a".repeat(65)])("rejects the prefix %j", (prefix) => {
    expect(() => redisKeys(prefix)).toThrow(TypeError);
  });
});
