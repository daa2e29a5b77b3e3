import type { RedisOptions } from "ioredis";
import { openRedis, type RedisConnection, type RedisTarget } from "../../packages/issuer/src/redis/connection.js";
import { redisUrl } from "./context.js";
import { startRedisCluster, type TestRedisCluster } from "./redis-cluster.js";

/** The Redis a suite runs against: the shared single node, or a cluster of its own. */
export type Topology = "single" | "cluster";

/** Both, for `describe.each(TOPOLOGIES)`. */
export const TOPOLOGIES: readonly Topology[] = ["single", "cluster"];

/** A suite's Redis, in each form the parts under test take it. */
export interface TopologyRedis {
  readonly topology: Topology;
  /** The issuer's and worker's environment: `REDIS_URL` or `REDIS_CLUSTER_NODES`. */
  readonly env: Readonly<Record<string, string>>;
  readonly target: RedisTarget;
  /** What the verifier's `denyList.redis` takes: the URL, or the seed node URLs. */
  readonly denyListRedis: string | readonly string[];
  /** The cluster, when the topology is one (fault tests kill its nodes). */
  readonly cluster?: TestRedisCluster;
  /** A connection to it (the issuer's own factory). */
  connect(options: RedisOptions): RedisConnection;
  stop(): Promise<void>;
}

/**
 * The Redis for `topology`: the run's shared Redis (a key prefix per file
 * keeps files apart), or a fresh six-node cluster for this file, stopped by `stop()`.
 */
export async function topologyRedis(topology: Topology): Promise<TopologyRedis> {
  if (topology === "single") {
    const url = redisUrl();
    const target = { url };
    return {
      topology,
      env: { REDIS_URL: url },
      target,
      denyListRedis: url,
      connect: (options) => openRedis(target, options),
      stop: async () => {},
    };
  }
  const cluster = await startRedisCluster();
  const target = { clusterNodes: cluster.nodes };
  return {
    topology,
    env: { REDIS_CLUSTER_NODES: cluster.nodes.join(",") },
    target,
    denyListRedis: cluster.nodes,
    cluster,
    connect: (options) => openRedis(target, options),
    stop: () => cluster.stop(),
  };
}
