import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

/**
 * A connection to the Redis patgate uses: one node (`REDIS_URL`) or a Redis
 * Cluster (`REDIS_CLUSTER_NODES`: ElastiCache Serverless, MemoryDB, cluster
 * mode enabled, Valkey cluster). Every key patgate writes together shares the
 * hash tag `{prefix}` (see `redisKeys`), so scripts, MULTI and BullMQ work on both.
 */
export type RedisConnection = Redis | Cluster;

/** Where Redis is: one URL, or the seed nodes of a cluster (the rest are discovered). */
export type RedisTarget = { readonly url: string } | { readonly clusterNodes: readonly string[] };

/**
 * How long a cluster client waits between tries while a slot has no primary
 * (a failover under way), and how many redirections it follows: a command
 * rides out the few seconds a replica takes to be promoted (about 16 × 100 ms
 * of retries) before failing like any other Redis outage.
 */
const FAILOVER_RETRY_MS = 100;

/** A cluster node URL as ioredis wants it: address, and the credentials and TLS every node shares. */
function clusterSeed(text: string): { node: ClusterNode; auth: Partial<RedisOptions> } {
  const url = new URL(text);
  const node = { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 6379) };
  const auth: Partial<RedisOptions> = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    // In-transit encryption (`rediss://`): TLS to every node, as ioredis documents for ElastiCache.
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return { node, auth };
}

/**
 * Splits connection options into a cluster's own and each node's: the
 * offline queue, auto-pipelining and lazy connect belong to the cluster
 * client; timeouts, retries and credentials to every node connection.
 */
function clusterOptions(options: RedisOptions, base: ClusterOptions = {}): ClusterOptions {
  const { enableOfflineQueue, enableAutoPipelining, lazyConnect, retryStrategy: _, readOnly: __, ...node } = options;
  return {
    ...base,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    redisOptions: { ...base.redisOptions, ...node },
  };
}

/**
 * Opens a connection to `target` with `options` (see `connection-options.ts`).
 *
 * For a cluster, every seed URL must carry the same credentials and scheme;
 * node names are passed through unresolved (`dnsLookup`), as ioredis documents
 * for ElastiCache with TLS, so each TLS connection checks the certificate
 * against the name the cluster announced rather than a resolved IP.
 *
 * @example openRedis({ clusterNodes: ["rediss://user:pw@clustercfg.x.cache.amazonaws.com:6379"] }, commandConnectionOptions())
 */
export function openRedis(target: RedisTarget, options: RedisOptions): RedisConnection {
  if ("url" in target) return new Redis(target.url, options);
  const seeds = target.clusterNodes.map(clusterSeed);
  const auth = seeds[0]?.auth ?? {};
  return new Cluster(
    seeds.map((seed) => seed.node),
    clusterOptions(options, {
      dnsLookup: (address, callback) => callback(null, address),
      retryDelayOnFailover: FAILOVER_RETRY_MS,
      retryDelayOnClusterDown: FAILOVER_RETRY_MS,
      retryDelayOnTryAgain: FAILOVER_RETRY_MS,
      redisOptions: auth,
    }),
  );
}

/**
 * A new connection to the same Redis with `options` instead of the copied
 * one's (timeouts, retries): a blocking reader, a BullMQ worker, a producer.
 *
 * @example duplicateConnection(redis, blockingConnectionOptions())
 */
export function duplicateConnection(connection: RedisConnection, options: RedisOptions): RedisConnection {
  if (connection instanceof Cluster) return connection.duplicate([], clusterOptions(options, connection.options));
  return connection.duplicate(options);
}

/** The target of `config`: the cluster seeds when set, else the URL, else none (the in-process bus). */
export function redisTarget(config: {
  readonly redisUrl?: string;
  readonly redisClusterNodes?: readonly string[];
}): RedisTarget | undefined {
  if (config.redisClusterNodes) return { clusterNodes: config.redisClusterNodes };
  if (config.redisUrl) return { url: config.redisUrl };
  return undefined;
}
