import { redisKeys } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { StoreUnavailableError } from "../tokens/errors.js";

/**
 * The console sessions that were signed out, remembered until their cookie
 * would have expired anyway (the absolute lifetime), so a copy of a
 * signed-out cookie is refused.
 */
export interface EndedSessions {
  /** True when session `sid` was signed out. */
  has(sid: string): Promise<boolean>;
  /** Remembers `sid` as signed out until `untilMs` (epoch ms). */
  add(sid: string, untilMs: number): Promise<void>;
}

/** Signed-out sessions in this process only: the issuer that handled the sign-out refuses the cookie. */
export function memoryEndedSessions(now: () => number): EndedSessions {
  const ended = new Map<string, number>();
  return {
    async has(sid) {
      const until = ended.get(sid);
      return until !== undefined && until > now();
    },
    async add(sid, untilMs) {
      const at = now();
      for (const [id, until] of ended) if (until <= at) ended.delete(id);
      ended.set(sid, untilMs);
    },
  };
}

/**
 * Signed-out sessions in Redis, one key per session under the prefix's hash
 * tag with a TTL of the session's remaining absolute lifetime, so every
 * issuer sharing the Redis (one node or a Cluster) refuses the cookie. This
 * process remembers them too, so the issuer that handled a sign-out refuses
 * its cookie even when Redis did not take the write.
 */
export function redisEndedSessions(redis: RedisConnection, prefix: string, now: () => number): EndedSessions {
  const keys = redisKeys(prefix);
  const local = memoryEndedSessions(now);
  return {
    async has(sid) {
      if (await local.has(sid)) return true;
      // Unknown while Redis is down: a 503 page, never a signed-out session let back in.
      const found = await redis.exists(keys.consoleSessionEnded(sid)).catch((error: unknown) => {
        throw new StoreUnavailableError(`console sessions: ${(error as Error).message}`);
      });
      return found === 1;
    },
    async add(sid, untilMs) {
      await local.add(sid, untilMs);
      const ttlMs = Math.ceil(untilMs - now());
      if (ttlMs > 0) await redis.set(keys.consoleSessionEnded(sid), "1", "PX", ttlMs);
    },
  };
}
