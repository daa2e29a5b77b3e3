import type { RedisOptions } from "ioredis";
import { openRedis, type RedisConnection, type RedisTarget } from "../../packages/issuer/src/redis/connection.js";
import { redisUrl } from "./context.js";
import { startRedisCluster, type TestRedisCluster } from "./redis-cluster.js";
import { startRedisServer } from "./redis-server.js";

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
  /** Takes it all down (every node of a cluster); only for one made with `own`. */
  pause(): Promise<void>;
  /** Brings it back on the same ports (a persistent single node keeps its data; a cluster comes back empty). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Redis for `topology`: the run's shared Redis (a key prefix per file
 * keeps files apart) or, with `own` (fault tests that take it down), a
 * persistent `redis-server` of this test's own; or a fresh six-node cluster
 * for this file. `stop()` stops what was started here.
 */
export async function topologyRedis(topology: Topology, options: { own?: boolean } = {}): Promise<TopologyRedis> {
  if (topology === "single") {
    const own = options.own ? await startRedisServer({ persistent: true }) : undefined;
    const url = own?.url ?? redisUrl();
    const target = { url };
    const owned = () => {
      if (!own) throw new Error("only a Redis made with { own: true } can be taken down");
      return own;
    };
    return {
      topology,
      env: { REDIS_URL: url },
      target,
      denyListRedis: url,
      connect: (connectOptions) => openRedis(target, connectOptions),
      pause: () => owned().stop(),
      resume: () => owned().restart(),
      stop: async () => own?.stop(),
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
    connect: (connectOptions) => openRedis(target, connectOptions),
    pause: () => cluster.pause(),
    resume: () => cluster.resume(),
    stop: () => cluster.stop(),
  };
}
