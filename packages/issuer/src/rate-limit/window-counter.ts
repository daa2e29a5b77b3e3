import type { RedisConnection } from "../redis/connection.js";
import { boundedWait, RATE_LIMIT_WAIT_MS } from "./bounded-wait.js";

/**
 * Counts events per key in fixed windows and says when a key is over its
 * limit: e.g. the JWTs one PAT revokes at `POST /revoke` in a minute.
 */
export interface WindowCounter {
  /** Counts one for `key`: 0 while within the limit, else whole seconds until its window ends. */
  take(key: string): Promise<number>;
}

export interface WindowCounterOptions {
  /** Events allowed per key and window. */
  readonly limit: number;
  /** Window length, ms; default one minute. */
  readonly windowMs?: number;
}

function checked(options: WindowCounterOptions): { limit: number; windowMs: number } {
  const { limit, windowMs = 60_000 } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be an integer ≥ 1");
  if (!(windowMs > 0)) throw new RangeError("windowMs must be a positive number of milliseconds");
  return { limit, windowMs };
}

/**
 * In-process counter: one issuer, or no Redis.
 *
 * @example const perPat = createMemoryWindowCounter({ limit: 30 }); await perPat.take(tokenId)
 */
export function createMemoryWindowCounter(
  options: WindowCounterOptions & { readonly now?: () => number; readonly maxKeys?: number },
): WindowCounter {
  const { limit, windowMs } = checked(options);
  const { now = Date.now, maxKeys = 100_000 } = options;
  const windows = new Map<string, { count: number; endsAt: number }>();
  return {
    async take(key) {
      const at = now();
      let window = windows.get(key);
      if (!window || window.endsAt <= at) {
        // Bounded memory under many keys: finished windows go first.
        if (windows.size >= maxKeys) for (const [k, w] of windows) if (w.endsAt <= at) windows.delete(k);
        if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        window = { count: 0, endsAt: at + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      return window.count > limit ? Math.max(1, Math.ceil((window.endsAt - at) / 1000)) : 0;
    },
  };
}

const COUNT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

type CountingRedis = RedisConnection & { patgateCountWindow(key: string, windowMs: number): Promise<[number, number]> };

/**
 * Counter shared by every issuer through Redis (one script: INCR, and PEXPIRE
 * on a new window). While Redis is away or silent past `waitMs`, it lets
 * events through, as the other limits do: a limiter outage must not become an
 * outage of the endpoint.
 *
 * @example createRedisWindowCounter(redis, { limit: 30, keyOf: (id) => keys.rateLimit(`revoke-jwt:${id}`) })
 */
export function createRedisWindowCounter(
  redis: RedisConnection,
  options: WindowCounterOptions & { readonly keyOf: (key: string) => string; readonly waitMs?: number },
): WindowCounter {
  const { limit, windowMs } = checked(options);
  const { keyOf, waitMs = RATE_LIMIT_WAIT_MS } = options;
  const counting = redis as CountingRedis;
  if (typeof counting.patgateCountWindow !== "function") {
    redis.defineCommand("patgateCountWindow", { numberOfKeys: 1, lua: COUNT_SCRIPT });
  }
  return {
    async take(key) {
      try {
        const [count, ttl] = await boundedWait(counting.patgateCountWindow(keyOf(key), windowMs), waitMs);
        return count > limit ? Math.max(1, Math.ceil(ttl / 1000)) : 0;
      } catch {
        return 0;
      }
    },
  };
}
