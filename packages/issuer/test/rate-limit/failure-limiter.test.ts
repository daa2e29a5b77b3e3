import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { addressBucket } from "../../src/rate-limit/address-bucket.js";
import {
  createMemoryFailureLimiter,
  createRedisFailureLimiter,
  type FailureLimiter,
  type FailureLimits,
  type ReservedTry,
} from "../../src/rate-limit/failure-limiter.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(() => redis.disconnect());

const LIMITS: FailureLimits = { perTokenAndAddress: 3, perAddress: 5 };

/** Every implementation, each on fresh counters. */
const limiters: [string, (limits?: FailureLimits) => FailureLimiter][] = [
  ["in memory", (limits = LIMITS) => createMemoryFailureLimiter(limits)],
  ["in Redis", (limits = LIMITS) => createRedisFailureLimiter(redis, redisKeys(uniqueName("fail")), limits)],
];

/** Settling is written in the background: a Redis round trip later, it has landed. */
const settled = () => redis.ping();

async function fail(limiter: FailureLimiter, tokenId: string, address: string): Promise<void> {
  const reserved = await limiter.reserve(tokenId, address);
  if (!reserved.ok) throw new Error(`locked out: ${reserved.retryAfterSeconds}`);
  reserved.settle("failed");
  await settled();
}

describe.each(limiters)("the failure limiter %s", (_label, create) => {
  it("locks a token id out at one address only, until the window ends", async () => {
    const limiter = create();
    for (let i = 0; i < 3; i++) await fail(limiter, "tok", "10.0.0.1");
    const locked = await limiter.reserve("tok", "10.0.0.1");
    expect(locked.ok).toBe(false);
    if (!locked.ok) {
      expect(locked.retryAfterSeconds).toBeGreaterThan(1);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // The holder elsewhere, and another token id from the same address, are not locked out.
    expect((await limiter.reserve("tok", "10.0.0.2")).ok).toBe(true);
    expect((await limiter.reserve("other", "10.0.0.1")).ok).toBe(true);
  });

  it("reserves before the check: 30 concurrent tries get `limit` places, the rest wait a second", async () => {
    const limiter = create();
    const tries = await Promise.all(Array.from({ length: 30 }, () => limiter.reserve("tok", "10.0.1.1")));
    const reserved = tries.filter((t): t is ReservedTry => t.ok);
    expect(reserved).toHaveLength(3);
    expect(tries.filter((t) => !t.ok).map((t) => (t.ok ? 0 : t.retryAfterSeconds))).toEqual(Array(27).fill(1));
    // Successes give their places back.
    for (const t of reserved) t.settle("succeeded");
    await settled();
    expect((await limiter.reserve("tok", "10.0.1.1")).ok).toBe(true);
  });

  it("gives back an abandoned try (the store was down) and counts nothing twice", async () => {
    const limiter = create({ perTokenAndAddress: 1, perAddress: 5 });
    const first = await limiter.reserve("tok", "10.0.2.1");
    expect(first.ok).toBe(true);
    if (first.ok) {
      first.settle("abandoned");
      first.settle("failed"); // a second settle is ignored
    }
    await settled();
    expect((await limiter.reserve("tok", "10.0.2.1")).ok).toBe(true);
  });

  it("limits one address across token ids, and not its neighbours", async () => {
    const limiter = create();
    for (let i = 0; i < 5; i++) await fail(limiter, `tok${i}`, "10.0.3.1");
    expect((await limiter.reserve("fresh", "10.0.3.1")).ok).toBe(false);
    expect((await limiter.reserve("fresh", "10.0.3.2")).ok).toBe(true);
  });

  it("counts an IPv6 client by its /64, and an IPv4-mapped address as IPv4", async () => {
    const limiter = create();
    for (let i = 0; i < 3; i++) await fail(limiter, "tok", `2001:db8:0:7::${i + 1}`);
    expect((await limiter.reserve("tok", "2001:db8:0:7:ffff::9")).ok).toBe(false);
    expect((await limiter.reserve("tok", "2001:db8:0:8::1")).ok).toBe(true);
    for (let i = 0; i < 3; i++) await fail(limiter, "tok", "10.0.4.1");
    expect((await limiter.reserve("tok", "::ffff:10.0.4.1")).ok).toBe(false);
  });
});

describe("the failure limiter's windows", () => {
  it("in memory: a window ends a minute after it opened, and a late settle leaves the next one alone", async () => {
    let clock = 1_000_000;
    const limiter = createMemoryFailureLimiter({ perTokenAndAddress: 1, perAddress: 10 }, () => clock);
    const late = await limiter.reserve("tok", "10.0.0.1");
    expect((await limiter.reserve("tok", "10.0.0.1")).ok).toBe(false);
    clock += 60_000;
    const next = await limiter.reserve("tok", "10.0.0.1");
    expect(next.ok).toBe(true);
    if (late.ok) late.settle("succeeded"); // belongs to the finished window
    expect((await limiter.reserve("tok", "10.0.0.1")).ok).toBe(false); // `next` still holds the place
  });

  it("in Redis: the counters expire with the window, and a late settle leaves the next one alone", async () => {
    const keys = redisKeys(uniqueName("fail"));
    const limiter = createRedisFailureLimiter(redis, keys, { perTokenAndAddress: 1, perAddress: 10 });
    const late = await limiter.reserve("tok", "10.0.0.1");
    const ttl = await redis.ttl(keys.failures("10.0.0.1", "tok"));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    // The window ends (its keys expire), another try opens the next one.
    await redis.del(keys.failures("10.0.0.1", "tok"), keys.failures("10.0.0.1"));
    const next = await limiter.reserve("tok", "10.0.0.1");
    expect(next.ok).toBe(true);
    if (late.ok) late.settle("succeeded");
    await settled();
    expect((await limiter.reserve("tok", "10.0.0.1")).ok).toBe(false);
  });
});

describe("addressBucket", () => {
  it.each([
    ["10.1.2.3", "10.1.2.3"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["::ffff:a01:203", "10.1.2.3"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:DB8:0:0:1:2:3:4", "2001:db8:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["not an address", "not an address"],
  ])("%s -> %s", (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });
});
