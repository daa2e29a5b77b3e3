import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { createSharedRequestLimit, type SharedRequestLimit } from "../../src/rate-limit/shared-request-limit.js";
import { testIssuer } from "../app-fixture.js";

let redis: Redis;
const limits: SharedRequestLimit[] = [];
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  for (const limit of limits) await limit.close();
  redis.disconnect();
});

/** One issuer's store (the plugin's root store, then the route's child), on a shared key prefix. */
function issuerStore(prefix: string) {
  const limit = createSharedRequestLimit(redis, { keyPrefix: prefix, syncMs: 60_000 });
  limits.push(limit);
  const store = new limit.Store({}).child({ routeInfo: { method: "POST", url: "/token" } } as never);
  const incr = (ip: string, max: number) =>
    new Promise<number>((resolve, reject) =>
      store.incr(ip, (error, result) => (error ? reject(error) : resolve(result?.current ?? -1)), 60_000, max),
    );
  return { limit, incr, key: (ip: string) => `${prefix}POST/token-${ip}` };
}

describe("the shared per-IP request limit", () => {
  it("counts under half the limit in memory, and adds the counts to Redis on sync", async () => {
    const a = issuerStore(uniqueName("rl"));
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) counts.push(await a.incr("10.0.0.1", 100));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await redis.get(a.key("10.0.0.1"))).toBe("1"); // only the first request went to Redis
    await a.limit.flush();
    expect(await redis.get(a.key("10.0.0.1"))).toBe("10");
    const ttl = await redis.pttl(a.key("10.0.0.1"));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("counts every request in Redis from half the limit on, so the limit is exact across issuers", async () => {
    const prefix = uniqueName("rl");
    const a = issuerStore(prefix);
    const b = issuerStore(prefix);
    const max = 10;
    for (let i = 0; i < 4; i++) await a.incr("10.0.0.2", max);
    for (let i = 0; i < 4; i++) await b.incr("10.0.0.2", max);
    await Promise.all([a.limit.flush(), b.limit.flush()]);
    expect(await redis.get(a.key("10.0.0.2"))).toBe("8");
    // Both know of at least their own four: the next requests are counted in Redis, exactly.
    expect(await a.incr("10.0.0.2", max)).toBe(9);
    expect(await b.incr("10.0.0.2", max)).toBe(10);
    expect(await a.incr("10.0.0.2", max)).toBe(11); // over: the plugin answers 429
    expect(await b.incr("10.0.0.2", max)).toBe(12);
  });

  it("keeps separate windows per IP and per route", async () => {
    const prefix = uniqueName("rl");
    const a = issuerStore(prefix);
    await a.incr("10.0.0.3", 100);
    await a.incr("10.0.0.3", 100);
    expect(await a.incr("10.0.0.4", 100)).toBe(1);
    const other = new a.limit.Store({}).child({ routeInfo: { method: "POST", url: "/revoke" } } as never);
    const current = await new Promise<number>((resolve) =>
      other.incr("10.0.0.3", (_error, result) => resolve(result?.current ?? -1), 60_000, 100),
    );
    expect(current).toBe(1);
  });

  it("answers 429 with Retry-After through two issuers sharing one Redis", async () => {
    const prefix = uniqueName("rl");
    const env = { PATGATE_RATE_LIMIT: "6", PATGATE_REDIS_PREFIX: prefix };
    const [one, two] = await Promise.all([testIssuer(env, { redis }), testIssuer(env, { redis })]);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const issuer = i % 2 === 0 ? one : two;
      codes.push((await issuer.app.inject({ method: "POST", url: "/token", payload: {} })).statusCode);
    }
    // Two requests each, both below half of 6 on each issuer: counted in memory, then synced.
    await Promise.all([one.app.close(), two.app.close()]); // closing flushes
    const [three] = await Promise.all([testIssuer(env, { redis })]);
    for (let i = 0; i < 4; i++)
      codes.push((await three.app.inject({ method: "POST", url: "/token", payload: {} })).statusCode);
    expect(codes).toEqual([400, 400, 400, 400, 400, 400, 429, 429]);
    const limited = await three.app.inject({ method: "POST", url: "/token", payload: {} });
    expect(limited.headers["retry-after"]).toMatch(/^\d+$/);
    expect(limited.json().error).toBe("slow_down");
    await three.app.close();
  });
});
