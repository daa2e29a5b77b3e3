import { randomBytes } from "node:crypto";
import { DEFAULT_TOKEN_PREFIX, formatPat, newTokenId, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type BlackholeProxy, startBlackholeProxy } from "../../../../test/harness/blackhole-proxy.js";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { createRedisFailureLimiter } from "../../src/rate-limit/failure-limiter.js";
import { createSharedRequestLimit } from "../../src/rate-limit/shared-request-limit.js";
import { testIssuer } from "../app-fixture.js";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A proxy in front of the test Redis, and a client through it with the rate-limit connection's options. */
async function proxiedRedis(): Promise<{ proxy: BlackholeProxy; redis: Redis }> {
  const proxy = await startBlackholeProxy(redisUrl());
  cleanups.push(() => proxy.close());
  // No command timeout on purpose: the limiters must bound their own waits, whatever the connection.
  const redis = new Redis(proxy.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    lazyConnect: true,
  });
  redis.on("error", () => {});
  cleanups.push(() => redis.disconnect());
  await redis.connect();
  return { proxy, redis };
}

/** `promise`, or a failure saying it hung: nothing here may wait on a silent Redis for long. */
async function settlesWithin<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe("rate limits over a Redis that went silent", () => {
  it("the failure limiter answers within its bound and fails open", async () => {
    const { proxy, redis } = await proxiedRedis();
    const limiter = createRedisFailureLimiter(redis, redisKeys(uniqueName("silent-fail")), {
      perTokenAndAddress: 2,
      perAddress: 10,
    });
    for (let i = 0; i < 2; i++) {
      const reserved = await limiter.reserve("tok", "10.0.0.1");
      if (reserved.ok) reserved.settle("failed");
    }
    await redis.ping();
    expect((await limiter.reserve("tok", "10.0.0.1")).ok).toBe(false); // counted in Redis, through the proxy

    proxy.blackhole();
    const reserved = await settlesWithin(1500, "reserve", limiter.reserve("tok", "10.0.0.1"));
    expect(reserved.ok).toBe(true);
    if (reserved.ok) reserved.settle("failed"); // written in the background: returns at once
  });

  it("the shared request limit answers within its bound and lets the request through", async () => {
    const { proxy, redis } = await proxiedRedis();
    const limit = createSharedRequestLimit(redis, { keyPrefix: uniqueName("silent-ip"), syncMs: 60_000 });
    cleanups.push(() => limit.close());
    const store = new limit.Store({}).child({ routeInfo: { method: "POST", url: "/token" } } as never);
    const incr = (ip: string) =>
      new Promise<{ error: Error | null; current: number | undefined }>((resolve) =>
        store.incr(ip, (error, result) => resolve({ error, current: result?.current }), 60_000, 100),
      );
    expect(await incr("10.0.0.1")).toEqual({ error: null, current: 1 });

    proxy.blackhole();
    // A new client's first request is counted in Redis: an error past the bound, which the plugin skips.
    const first = await settlesWithin(1500, "a count in Redis", incr("10.0.0.2"));
    expect(first.error).toMatchObject({ name: "RateLimitWaitError" });
    // A known client under half its limit is counted here, with no Redis call; syncing its count
    // to a Redis that never answers holds up neither a flush nor the shutdown.
    expect(await incr("10.0.0.1")).toEqual({ error: null, current: 2 });
    await settlesWithin(1500, "flush", limit.flush());
    await settlesWithin(1500, "close", limit.close());
  });

  it("POST /token answers instead of hanging", async () => {
    const { proxy, redis } = await proxiedRedis();
    const issuer = await testIssuer({ PATGATE_REDIS_PREFIX: uniqueName("silent-app") }, { redis });
    cleanups.push(() => issuer.app.close());
    const unknownPat = formatPat(DEFAULT_TOKEN_PREFIX, newTokenId(), randomBytes(32));
    const exchange = () =>
      issuer.app.inject({
        method: "POST",
        url: "/token",
        payload: {
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token: unknownPat,
          subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        },
      });
    expect((await exchange()).statusCode).toBe(400); // Redis answering: limits counted, the PAT unknown

    proxy.blackhole();
    // The per-IP limit, the lock-out check and the failure count each wait their bound, then fail open.
    const response = await settlesWithin(5000, "POST /token", exchange());
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: "invalid_request" });
  });
});
