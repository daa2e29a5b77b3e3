import type { Redis } from "ioredis";
import { boundedWait, RATE_LIMIT_WAIT_MS } from "./bounded-wait.js";

/**
 * Counts failed exchanges per token id in a fixed one-minute window, so a
 * brute-force loop on one token id is cut off whatever IPs it comes from.
 */
export interface FailureLimiter {
  /** Seconds until the token id may be tried again; 0 when it may now. */
  retryAfter(tokenId: string): Promise<number>;
  recordFailure(tokenId: string): Promise<void>;
}

const WINDOW_SECONDS = 60;

/** In-process limiter: for one issuer, or when no Redis is configured. */
export function createMemoryFailureLimiter(limit: number, now: () => number = Date.now): FailureLimiter {
  const windows = new Map<string, { count: number; resetAtMs: number }>();
  return {
    async retryAfter(tokenId) {
      const window = windows.get(tokenId);
      if (!window) return 0;
      const nowMs = now();
      if (window.resetAtMs <= nowMs) {
        windows.delete(tokenId);
        return 0;
      }
      return window.count >= limit ? Math.ceil((window.resetAtMs - nowMs) / 1000) : 0;
    },
    async recordFailure(tokenId) {
      const nowMs = now();
      const window = windows.get(tokenId);
      if (!window || window.resetAtMs <= nowMs)
        windows.set(tokenId, { count: 1, resetAtMs: nowMs + WINDOW_SECONDS * 1000 });
      else window.count += 1;
      // Bounded memory under a flood of distinct ids: drop finished windows.
      if (windows.size > 100_000) for (const [id, w] of windows) if (w.resetAtMs <= nowMs) windows.delete(id);
    },
  };
}

export interface RedisFailureLimiterOptions {
  /** Longest each call waits on Redis before it fails open; default {@link RATE_LIMIT_WAIT_MS} (500 ms). */
  readonly waitMs?: number;
}

/**
 * Redis-backed limiter shared by every issuer instance. While Redis is away,
 * or silent for longer than `waitMs`, it lets requests through, as the per-IP
 * limit does (`skipOnError`): an outage of the limiter must not become an
 * outage (or a hang) of `/token`. scrypt still makes each guess cost the guesser.
 */
export function createRedisFailureLimiter(
  redis: Redis,
  keyOf: (tokenId: string) => string,
  limit: number,
  options: RedisFailureLimiterOptions = {},
): FailureLimiter {
  const { waitMs = RATE_LIMIT_WAIT_MS } = options;
  if (!(waitMs > 0)) throw new RangeError("waitMs must be a positive number of milliseconds");
  return {
    async retryAfter(tokenId) {
      try {
        const key = keyOf(tokenId);
        const [count, ttl] = await boundedWait(Promise.all([redis.get(key), redis.ttl(key)]), waitMs);
        return Number(count ?? 0) >= limit ? Math.max(1, ttl) : 0;
      } catch {
        return 0;
      }
    },
    async recordFailure(tokenId) {
      const key = keyOf(tokenId);
      await boundedWait(redis.multi().incr(key).expire(key, WINDOW_SECONDS, "NX").exec(), waitMs).catch(() => {});
    },
  };
}
