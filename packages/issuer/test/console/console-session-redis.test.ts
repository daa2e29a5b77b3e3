import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { freePort } from "../../../../test/harness/free-port.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { signInWithPat } from "./console-client.js";

// Two issuers behind one load balancer: the same session secret, token store and Redis. A cookie
// signed out on one is refused by the other, for as long as the cookie could otherwise live.
const HOUR = 3_600_000;
let clock = Date.now();
const prefix = uniqueName("console");
let redis: Redis;
let first: TestIssuer;
let second: TestIssuer;
let adminPat: string;

beforeAll(async () => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const env = { PATGATE_SESSION_SECRET: "a-session-secret-shared-by-every-issuer", PATGATE_REDIS_PREFIX: prefix };
  first = await testIssuer(env, { redis, now: () => clock });
  second = await testIssuer(env, { redis, store: first.store, now: () => clock });
  adminPat = (await first.store.issue({ owner: "root", isAdmin: true, roles: [] })).token;
});
afterAll(async () => {
  await first.app.close();
  await second.app.close();
  redis.disconnect();
});

async function status(issuer: TestIssuer, cookie: string): Promise<number> {
  return (await issuer.app.inject({ method: "GET", url: "/console", headers: { cookie } })).statusCode;
}

describe("console sign-out shared through Redis", () => {
  it("refuses a signed-out cookie on every issuer, remembered for the session's remaining absolute lifetime", async () => {
    const client = await signInWithPat(first.app, adminPat);
    // An hour of activity (a request every 20 minutes, within the idle lifetime).
    for (let i = 0; i < 3; i++) {
      clock += HOUR / 3;
      expect((await client.get("/console")).statusCode).toBe(200);
    }
    const cookie = (client.setCookie ?? "").split(";", 1)[0] ?? "";
    expect(cookie).toMatch(/^patgate_console=./);
    // The other issuer takes the same cookie while the session lasts.
    expect(await status(second, cookie)).toBe(200);

    expect((await client.post("/console/logout", {})).statusCode).toBe(303);
    expect(await status(first, cookie)).toBe(303);
    expect(await status(second, cookie)).toBe(303);

    const keys = await redis.keys(`{${prefix}}:console:ended:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^\{[^}]+\}:console:ended:[0-9a-f-]{36}$/);
    // 8 hours from sign-in, one of them spent: at most 7 hours left (the wait for Redis only shortens it).
    const ttl = await redis.pttl(keys[0] ?? "");
    expect(ttl).toBeGreaterThan(7 * HOUR - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * HOUR);
  });

  it("keeps a session that was not signed out working on both", async () => {
    const client = await signInWithPat(second.app, adminPat);
    const cookie = (client.setCookie ?? "").split(";", 1)[0] ?? "";
    expect(await status(first, cookie)).toBe(200);
    expect(await status(second, cookie)).toBe(200);
  });

  it("answers a 503 page, never the signed-in page, while Redis cannot say whether a session was signed out", async () => {
    const dead = new Redis(await freePort(), "127.0.0.1", {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on("error", () => {});
    const env = { PATGATE_SESSION_SECRET: "a-session-secret-shared-by-every-issuer", PATGATE_REDIS_PREFIX: prefix };
    const cut = await testIssuer(env, { redis: dead, store: first.store, now: () => clock });
    try {
      const client = await signInWithPat(first.app, adminPat);
      const cookie = (client.setCookie ?? "").split(";", 1)[0] ?? "";
      const page = await cut.app.inject({ method: "GET", url: "/console", headers: { cookie } });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain("A backing store is unavailable");
    } finally {
      await cut.app.close();
      dead.disconnect();
    }
  });

  it("builds the key under the prefix's hash tag, so it lands in the prefix's slot on a Cluster", () => {
    expect(redisKeys("pg").consoleSessionEnded("0b1c")).toBe("{pg}:console:ended:0b1c");
    expect(() => redisKeys("pg").consoleSessionEnded("{x}")).toThrow(TypeError);
  });
});
