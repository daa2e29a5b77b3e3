import { redisKeys } from "@patgate/shared";
import { createRedisDenyList } from "@patgate/verifier";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/harness/context.js";
import { startRedisCluster, type TestRedisCluster } from "../../../../test/harness/redis-cluster.js";
import { until } from "../../../../test/harness/until.js";
import { redisEndedSessions } from "../../src/console/ended-sessions.js";
import { createRedisFailureLimiter } from "../../src/rate-limit/failure-limiter.js";
import { duplicateConnection, openRedis, type RedisConnection } from "../../src/redis/connection.js";
import { blockingConnectionOptions, commandConnectionOptions } from "../../src/redis/connection-options.js";
import { redisReadiness } from "../../src/redis/readiness.js";
import { redisScripts } from "../../src/redis/scripts.js";
import { createDenyListWriter } from "../../src/revocation/deny-list-writer.js";

// The Redis parts of the issuer and the verifier on a real six-node Redis
// Cluster: every multi-key script has its keys in one slot (or Redis answers
// CROSSSLOT), copies keep the cluster's own options, readiness reports it.

let cluster: TestRedisCluster;
let redis: RedisConnection;
const closers: (() => unknown)[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = openRedis({ clusterNodes: cluster.nodes }, commandConnectionOptions());
  redis.on("error", () => {});
  // No offline queue on a command connection: commands fail until the slot map has loaded.
  await until(() => redis.status === "ready", { message: "the cluster client" });
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close();
  redis?.disconnect();
  await cluster?.stop();
});

const NOW = Math.floor(Date.now() / 1000);

describe("on a Redis Cluster", () => {
  it("opens a cluster client from REDIS_CLUSTER_NODES, and readiness reports cluster_state", async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect(await redisReadiness(redis, 2000)).toEqual({ redis: "ok", cluster: "ok" });
  });

  it("copies keep the seeds and cluster options, with the copy's options on every node", () => {
    const copy = duplicateConnection(redis, blockingConnectionOptions()) as Cluster;
    closers.push(() => copy.disconnect());
    expect(copy).toBeInstanceOf(Cluster);
    expect(copy.options.enableOfflineQueue).toBe(true);
    expect(copy.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, commandTimeout: undefined });
    expect(copy.options.retryDelayOnFailover).toBe((redis as Cluster).options.retryDelayOnFailover);
    expect((redis as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, commandTimeout: 1000 });
  });

  it("writes a revocation (four keys, one script), waits for a replica, and streams it", async () => {
    const keys = redisKeys(uniqueName("cluster"));
    const writer = createDenyListWriter(redis, keys);
    const entry = { kind: "client", value: "tok", minRev: 2, expiresAt: NOW + 360 } as const;
    const id = await writer.write({ type: "deny", entry }, NOW);
    expect(id).toMatch(/^\d+-\d+$/);
    expect(JSON.parse((await redis.hget(keys.denyEntries, "client:tok")) ?? "null")).toEqual(entry);
    expect(await redis.xlen(keys.events)).toBe(1);
  });

  it("counts requests and locks a token id out (two counters of one address, one slot)", async () => {
    const keys = redisKeys(uniqueName("cluster"));
    const [count] = await redisScripts(redis).countRequests({
      keys: { counter: keys.rateLimit("ip:10.0.0.1") },
      args: { by: 3, windowMs: 60_000 },
    });
    expect(count).toBe(3);
    const limiter = createRedisFailureLimiter(redis, keys, { perTokenAndAddress: 2, perAddress: 10 });
    for (let i = 0; i < 2; i++) {
      const reserved = await limiter.reserve("tok", "10.0.0.1");
      if (!reserved.ok) throw new Error("locked out too early");
      reserved.settle("failed");
    }
    // Settling lands in the background: the lock-out shows once both failures are counted.
    await until(async () => !(await limiter.reserve("tok", "10.0.0.1")).ok, { message: "the lock-out" });
    expect((await limiter.reserve("tok", "10.0.0.2")).ok).toBe(true);
  });

  it("a verifier given an ioredis Cluster, or seed nodes read from replicas, follows the deny-list", async () => {
    const prefix = uniqueName("cluster");
    const writer = createDenyListWriter(redis, redisKeys(prefix));
    const given = new Cluster(cluster.nodes.map((node) => ({ host: "127.0.0.1", port: Number(new URL(node).port) })));
    closers.push(() => given.disconnect());
    const lists = [
      await createRedisDenyList({ redis: given, keyPrefix: prefix }),
      await createRedisDenyList({ redis: cluster.nodes, keyPrefix: prefix, readFromReplicas: true }),
    ];
    for (const list of lists) closers.push(() => list.close?.());
    await Promise.all(lists.map((list) => list.ready));
    const claims = { jti: "j1", client_id: "tok2", sub: "ann", client_rev: 1 };
    for (const list of lists) expect(list.check(claims, NOW)).toBeUndefined();
    await writer.write(
      { type: "deny", entry: { kind: "client", value: "tok2", minRev: 2, expiresAt: NOW + 300 } },
      NOW,
    );
    for (const list of lists) await until(() => list.check(claims, NOW) !== undefined, { message: "the denial" });
  });

  it("shares a console sign-out in the prefix's slot, with a TTL, readable by another client", async () => {
    const keys = redisKeys(uniqueName("console"));
    const ended = redisEndedSessions(redis, keys.prefix, Date.now);
    await ended.add("0b1c2d3e-0000-4000-8000-000000000001", Date.now() + 3_600_000);
    const second = openRedis({ clusterNodes: cluster.nodes }, commandConnectionOptions());
    second.on("error", () => {});
    closers.push(() => second.disconnect());
    await until(() => second.status === "ready", { message: "the second cluster client" });
    const other = redisEndedSessions(second, keys.prefix, Date.now);
    expect(await other.has("0b1c2d3e-0000-4000-8000-000000000001")).toBe(true);
    expect(await other.has("0b1c2d3e-0000-4000-8000-000000000002")).toBe(false);
    const key = keys.consoleSessionEnded("0b1c2d3e-0000-4000-8000-000000000001");
    const slot = (k: string) => redis.call("CLUSTER", "KEYSLOT", k) as Promise<number>;
    expect(await slot(key)).toBe(await slot(keys.denyEntries));
    expect(await redis.pttl(key)).toBeGreaterThan(3_500_000);
  });
});
