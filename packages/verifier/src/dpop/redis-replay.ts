import { DEFAULT_REDIS_PREFIX, dpopProofId, redisKeys, settleWithin } from "@patgate/shared";
import { connectionTemplate, type RedisConnectionOptions } from "../deny-list/redis-connection.js";
import type { FollowerRedis } from "../deny-list/stream-follower.js";
import { VerifierError } from "../errors.js";
import type { ReplayStore } from "./replay-window.js";

/** Longest wait on Redis before the request is answered 503: a proof is never accepted unchecked. */
const REPLAY_WAIT_MS = 500;

function unavailable(): VerifierError {
  return new VerifierError("dpop_replay_unavailable", "the DPoP replay check cannot reach Redis; retry shortly", {
    scheme: "DPoP",
  });
}

/**
 * Proofs seen by every verifier (and issuer) sharing the deny-list's Redis:
 * `SET <prefix>:dpop:jti:{id} 1 NX PX windowMs`, one atomic single-key
 * command (the id is its own hash tag, so it works on Redis Cluster), so of
 * two replicas receiving the same proof exactly one gets OK. A URL or seed
 * list gets a connection of its own (closed with the verifier); a given
 * ioredis client is used as is. Redis down or silent: `dpop_replay_unavailable` (503).
 */
export function createRedisReplay(option: RedisConnectionOptions, windowMs: number): ReplayStore {
  const keys = redisKeys(option.keyPrefix ?? DEFAULT_REDIS_PREFIX);
  const owned = typeof option.redis === "string" || Array.isArray(option.redis);
  const connecting: Promise<FollowerRedis> = owned
    ? connectionTemplate(option).then((redis) => {
        // Its failures are answered per request (503); ioredis reconnects by itself.
        redis.on("error", () => {});
        return redis;
      })
    : Promise.resolve(option.redis as FollowerRedis);
  connecting.catch(() => {});
  return {
    async firstUse(jkt, jti) {
      let answer: string | null;
      try {
        const redis = await connecting;
        answer = await settleWithin(
          redis.set(keys.dpopProofSeen(dpopProofId(jkt, jti)), "1", "PX", windowMs, "NX"),
          REPLAY_WAIT_MS,
          unavailable,
        );
      } catch {
        throw unavailable();
      }
      return answer === "OK";
    },
    async close() {
      if (owned) (await connecting.catch(() => undefined))?.disconnect();
    },
  };
}
