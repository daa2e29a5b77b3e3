import { ConfigError, type Env, fail } from "../env-values.js";

/** Where the issuer's Redis is, as the environment says: one node, a cluster, or neither. */
export interface RedisConfig {
  /** `REDIS_URL`: one Redis (or a proxy in front of several). */
  readonly redisUrl?: string;
  /** `REDIS_CLUSTER_NODES`: seed nodes of a Redis Cluster; the others are discovered from them. */
  readonly redisClusterNodes?: readonly string[];
}

/** A URL with its credentials masked, for an error message. */
const masked = (text: string) => text.replace(/\/\/[^@/]*@/, "//***@");

/** Whether `text` is a `redis://` or `rediss://` URL with a host. */
function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * Reads `REDIS_URL` and `REDIS_CLUSTER_NODES`. Setting both is an error, not
 * a precedence: one of them would be silently ignored, and an issuer on a
 * cluster beside a worker on one node would split the queue between two
 * Redis. Every cluster seed must share the scheme and credentials (ioredis
 * uses one set for every node it discovers).
 *
 * @example redisConfig({ REDIS_CLUSTER_NODES: "redis://10.0.0.1:6379,redis://10.0.0.2:6379" })
 */
export function redisConfig(env: Env): RedisConfig {
  const single = env.REDIS_URL?.trim() || undefined;
  const cluster = env.REDIS_CLUSTER_NODES?.trim() || undefined;
  if (single && cluster)
    throw new ConfigError(
      "REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_CLUSTER_NODES for a cluster, REDIS_URL otherwise",
    );
  if (single && !isRedisUrl(single)) fail("REDIS_URL", "must be a redis:// or rediss:// URL", masked(single));
  if (!cluster) return single ? { redisUrl: single } : {};
  const nodes = cluster.split(",").map((node) => node.trim());
  const expectation = "must be a comma list of redis:// or rediss:// URLs (host:port of cluster nodes)";
  if (nodes.some((node) => !isRedisUrl(node))) fail("REDIS_CLUSTER_NODES", expectation, masked(cluster));
  const shared = (node: string) => {
    const url = new URL(node);
    return `${url.protocol}${url.username}:${url.password}`;
  };
  if (new Set(nodes.map(shared)).size > 1)
    fail("REDIS_CLUSTER_NODES", "must give every node the same scheme and credentials", masked(cluster));
  return { redisClusterNodes: nodes };
}
