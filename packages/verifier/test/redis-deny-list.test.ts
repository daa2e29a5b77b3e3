import { type DenyEntry, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startBlackholeProxy } from "../../../test/harness/blackhole-proxy.js";
import { redisUrl, uniqueName } from "../../../test/harness/context.js";
import { startRedisServer } from "../../../test/harness/redis-server.js";
import { until } from "../../../test/harness/until.js";
import { createRedisDenyList, createVerifier } from "../src/index.js";
import { appendEvent } from "./change-stream.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign } from "./fixtures.js";

const NOW_S = Math.floor(Date.now() / 1000);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Writes an entry the way the issuer's worker does: hash, then a numbered stream event. */
function deny(redis: Redis, prefix: string, entry: DenyEntry, streamId = "*"): Promise<string> {
  return appendEvent(redis, redisKeys(prefix), { type: "deny", entry }, streamId);
}

describe("the Redis deny-list", () => {
  it("loads the snapshot and follows new entries; verify rejects them", async () => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const prefix = uniqueName("vdeny");
    await deny(redis, prefix, { kind: "jti", value: "early", expiresAt: NOW_S + 600 });
    const key = await makeKey();
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: { redis: redisUrl(), keyPrefix: prefix },
    });
    cleanups.push(() => verifier.close());
    const now = { iat: NOW_S - 5, exp: NOW_S + 290 };
    await expect(verifier.verify(await sign(key, claims({ ...now, jti: "early" })))).rejects.toMatchObject({
      code: "token_denied",
    });
    const later = await sign(key, claims({ ...now, jti: "later" }));
    await expect(verifier.verify(later)).resolves.toBeDefined();
    await deny(redis, prefix, { kind: "jti", value: "later", expiresAt: NOW_S + 600 });
    await until(
      async () =>
        await verifier.verify(later).then(
          () => false,
          () => true,
        ),
      { message: "the new entry" },
    );
  });

  it("keeps what it knows when Redis loses its data, and takes what comes after", async () => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const prefix = uniqueName("vloss");
    const list = await createRedisDenyList({ redis: redisUrl(), keyPrefix: prefix });
    cleanups.push(() => list.close?.());
    await list.ready;
    const nowS = Math.floor(Date.now() / 1000);
    const claims = (jti: string) => ({ jti, sub: "s", client_id: "c", iat: nowS });
    await deny(redis, prefix, { kind: "jti", value: "before", expiresAt: nowS + 600 });
    await until(() => list.check(claims("before"), nowS) !== undefined, { message: "the first entry" });
    // Redis forgets everything (a restart without persistence): its numbering starts over.
    const keys = redisKeys(prefix);
    await redis.del(keys.denyEntries, keys.denyExpiry, keys.events, keys.eventSequence);
    await deny(redis, prefix, { kind: "jti", value: "after", expiresAt: nowS + 600 });
    await until(() => list.check(claims("after"), nowS) !== undefined, { message: "the entry after the loss" });
    expect(list.status().snapshots).toBe(2);
    expect(list.check(claims("before"), nowS)).toMatchObject({ value: "before" });
    expect(list.check(claims("other"), nowS)).toBeUndefined();
  });

  it.each([
    ["the same id (a restart within one millisecond)", (id: string) => id],
    ["a lower id (a clock that went back)", (id: string) => `${Number(id.split("-")[0]) - 5000}-0`],
  ])("notices a stream written again from scratch under %s", async (_case, idAfter) => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const prefix = uniqueName("vrewind");
    const list = await createRedisDenyList({ redis: redisUrl(), keyPrefix: prefix });
    cleanups.push(() => list.close?.());
    await list.ready;
    const nowS = Math.floor(Date.now() / 1000);
    const claims = (jti: string) => ({ jti, sub: "s", client_id: "c", iat: nowS });
    const id = await deny(redis, prefix, { kind: "jti", value: "before", expiresAt: nowS + 600 });
    await until(() => list.check(claims("before"), nowS) !== undefined, { message: "the first entry" });
    const keys = redisKeys(prefix);
    await redis.del(keys.denyEntries, keys.denyExpiry, keys.events, keys.eventSequence);
    // Sequence 1 again, under an id a blocking read from the old one never returns.
    await deny(redis, prefix, { kind: "jti", value: "after", expiresAt: nowS + 600 }, idAfter(id));
    await until(() => list.check(claims("after"), nowS) !== undefined, { message: "the entry written after the loss" });
    expect(list.status().snapshots).toBe(2);
    expect(list.check(claims("before"), nowS)).toMatchObject({ value: "before" });
  });

  it("fails closed once Redis has been silent for longer than maxStalenessSeconds", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    let clock = Date.now();
    const list = await createRedisDenyList({
      redis: server.url,
      keyPrefix: uniqueName("stale"),
      maxStalenessSeconds: 30,
      now: () => clock,
    });
    cleanups.push(() => list.close?.());
    await list.ready;
    expect(list.available?.(clock)).toBe(true);
    await server.stop();
    await until(() => !list.status().connected, { message: "disconnect" });
    clock += 31_000;
    expect(list.available?.(clock)).toBe(false);
    expect(list.status().stalenessMs).toBeGreaterThan(30_000);
  });

  it("notices a connection that died silently, fails closed, and catches up once the path heals", async () => {
    const proxy = await startBlackholeProxy(redisUrl());
    cleanups.push(() => proxy.close());
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const prefix = uniqueName("vsilent");
    // One second of staleness allowed: the follower blocks 250 ms per read, so its deadline is 1.25 s.
    const list = await createRedisDenyList({ redis: proxy.url, keyPrefix: prefix, maxStalenessSeconds: 1 });
    cleanups.push(() => list.close?.());
    await list.ready;
    await until(() => list.status().connected, { message: "the first read" });
    expect(list.available?.(Date.now())).toBe(true);
    const nowS = Math.floor(Date.now() / 1000);
    const during = { jti: "during", sub: "s", client_id: "c", iat: nowS };

    // The path dies without a reset, and a revocation lands in Redis meanwhile.
    proxy.blackhole();
    await deny(redis, prefix, { kind: "jti", value: "during", expiresAt: nowS + 600 });
    await until(() => !list.status().connected, {
      message: "the follower to notice the dead connection",
      timeoutMs: 5000,
    });
    await until(() => !list.available?.(Date.now()), { message: "the list to fail closed", timeoutMs: 5000 });
    expect(list.check(during, nowS)).toBeUndefined();

    proxy.heal();
    await until(() => list.check(during, nowS) !== undefined, { message: "the entry written during the outage" });
    expect(list.status()).toMatchObject({ connected: true, snapshots: 1 });
    expect(list.available?.(Date.now())).toBe(true);
  });
});
