import type { Cluster, Redis } from "ioredis";
import type { FollowerRedis } from "./stream-follower.js";

/** Where the deny-list's Redis is (the part of `denyList: { redis }` a connection needs). */
export interface RedisConnectionOptions {
  readonly redis: string | readonly string[] | Redis | Cluster;
  readonly readFromReplicas?: boolean;
  readonly keyPrefix?: string;
}

/**
 * ioredis is an optional peer, loaded only by users of the Redis deny-list; its
 * absence gets a message that says what to install, not a bare module error.
 */
async function loadIoredis(): Promise<{ readonly Redis: typeof Redis; readonly Cluster: typeof Cluster }> {
  try {
    const { Redis, Cluster } = await import("ioredis");
    return { Redis, Cluster };
  } catch (error) {
    if ((error as { code?: string } | null)?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error("ioredis is not installed (`npm install ioredis`), and denyList.redis needs it", {
      cause: error,
    });
  }
}

/**
 * A connection for the follower to copy, from a URL or cluster seed URLs; it
 * never connects itself (`lazyConnect`), and is dropped once copied.
 */
export async function connectionTemplate(options: RedisConnectionOptions): Promise<FollowerRedis> {
  const ioredis = await loadIoredis();
  if (typeof options.redis === "string") {
    return new ioredis.Redis(options.redis, { lazyConnect: true, maxRetriesPerRequest: null });
  }
  const urls = (options.redis as readonly string[]).map((text) => new URL(text));
  const first = urls[0];
  if (!first) throw new TypeError("denyList.redis: a cluster needs at least one seed node URL");
  return new ioredis.Cluster(
    urls.map((url) => ({ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 6379) })),
    {
      lazyConnect: true,
      // Node names as the cluster announces them, as ioredis documents for ElastiCache with TLS.
      dnsLookup: (address, callback) => callback(null, address),
      scaleReads: options.readFromReplicas ? "slave" : "master",
      redisOptions: {
        maxRetriesPerRequest: null,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === "rediss:" ? { tls: {} } : {}),
      },
    },
  );
}
