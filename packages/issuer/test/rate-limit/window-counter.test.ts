import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { createMemoryWindowCounter, createRedisWindowCounter } from "../../src/rate-limit/window-counter.js";

const redis = new Redis(redisUrl());
afterAll(() => redis.disconnect());

describe("window counters", () => {
  it("in memory: `limit` per key and window, then the seconds left in the window", async () => {
    let now = 0;
    const counter = createMemoryWindowCounter({ limit: 3, windowMs: 60_000, now: () => now });
    expect([await counter.take("a"), await counter.take("a"), await counter.take("a")]).toEqual([0, 0, 0]);
    now = 15_000;
    expect(await counter.take("a")).toBe(45);
    expect(await counter.take("b")).toBe(0);
    now = 60_000;
    expect(await counter.take("a")).toBe(0);
  });

  it("in Redis: one count for every issuer sharing it", async () => {
    const prefix = uniqueName("wc");
    const options = { limit: 4, keyOf: (key: string) => `${prefix}:${key}` };
    const [a, b] = [createRedisWindowCounter(redis, options), createRedisWindowCounter(redis, options)];
    expect([await a.take("pat"), await b.take("pat"), await a.take("pat"), await b.take("pat")]).toEqual([0, 0, 0, 0]);
    const wait = await a.take("pat");
    expect(wait).toBeGreaterThan(55);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await redis.pttl(`${prefix}:pat`)).toBeGreaterThan(55_000);
  });

  it("lets events through while Redis does not answer", async () => {
    const silent = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
    silent.on("error", () => {});
    const counter = createRedisWindowCounter(silent, { limit: 1, keyOf: (k) => k, waitMs: 50 });
    expect([await counter.take("x"), await counter.take("x")]).toEqual([0, 0]);
    silent.disconnect();
  });

  it("checks its options when built", () => {
    expect(() => createMemoryWindowCounter({ limit: 0 })).toThrow(RangeError);
    expect(() => createMemoryWindowCounter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
