import { Cluster } from "ioredis";
import type { RedisConnection } from "./connection.js";

/** What `/readyz` says of Redis: reachable or not and, on a cluster, its `cluster_state`. */
export interface RedisReadiness {
  readonly redis: "ok" | "unavailable";
  /** `cluster_state` from `CLUSTER INFO` (`ok`, or `fail` while a slot has no primary); single node: absent. */
  readonly cluster?: string;
}

function rejectAfter(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref());
}

/**
 * Pings Redis, bounded by `timeoutMs`. On a cluster it also asks one node for
 * `CLUSTER INFO`: a cluster that answers PING but has a slot without a primary
 * (`cluster_state:fail`, mid-failover) cannot take every revocation, so it is
 * not ready.
 *
 * @example await redisReadiness(redis, 2000) // { redis: "ok", cluster: "ok" }
 */
export async function redisReadiness(redis: RedisConnection, timeoutMs: number): Promise<RedisReadiness> {
  try {
    if (!(redis instanceof Cluster)) {
      await Promise.race([redis.ping(), rejectAfter(timeoutMs)]);
      return { redis: "ok" };
    }
    const info = await Promise.race([redis.cluster("INFO"), rejectAfter(timeoutMs)]);
    const cluster = /cluster_state:(\w+)/.exec(String(info))?.[1] ?? "unknown";
    return { redis: cluster === "ok" ? "ok" : "unavailable", cluster };
  } catch {
    return { redis: "unavailable" };
  }
}
