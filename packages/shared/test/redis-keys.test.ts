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

  it("puts both failure counters of one address in the same hash slot, tagged by the address", () => {
    const keys = redisKeys("acme");
    expect(keys.failures("10.0.0.7")).toBe("acme:rl:fail:{10.0.0.7}");
    expect(keys.failures("2001:db8:0:1::", "tok")).toBe("acme:rl:fail:{2001:db8:0:1::}:tok");
    expect(() => keys.failures("a}b")).toThrow(TypeError);
  });

  it("defaults to the patgate prefix", () => {
    expect(redisKeys().events).toBe("{patgate}:deny:events");
  });

  it.each(["", "a b", "x{y}", "a".repeat(65)])("rejects the prefix %j", (prefix) => {
    expect(() => redisKeys(prefix)).toThrow(TypeError);
  });

  it("keys a seen DPoP proof by its id as the hash tag, so proofs spread over a cluster", () => {
    expect(redisKeys("pg").dpopProofSeen("abc_-")).toBe("pg:dpop:jti:{abc_-}");
    expect(() => redisKeys().dpopProofSeen("a}b")).toThrow(TypeError);
  });
});
