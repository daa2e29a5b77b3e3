import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { RedisConnection } from "../redis/connection.js";
import { boundedWait, RATE_LIMIT_WAIT_MS } from "./bounded-wait.js";
import { createRequestWindows } from "./request-windows.js";

/**
 * A store for `@fastify/rate-limit` that several issuers share through Redis
 * without a Redis round trip on every request.
 *
 * The first request of a window, and every request once a client has used
 * half its limit, is counted in Redis (one script, `lua/count-requests.lua`:
 * INCRBY, and PEXPIRE on a new window), so the limit itself holds across instances. Below half, a
 * request is counted in memory and the counts are added to Redis every
 * `syncMs`. A client can therefore overshoot only by what it sends to other
 * instances within one sync interval while it believes it is under half:
 * nothing a client within its limit notices, and a flood still meets the
 * exact count.
 */
export interface SharedRequestLimit {
  /** The store class to pass as `store` to `@fastify/rate-limit`. */
  readonly Store: FastifyRateLimitStoreCtor;
  /** Adds the counts still held in memory to Redis (also done every `syncMs`). */
  flush(): Promise<void>;
  /** Stops the sync timer after a last flush. */
  close(): Promise<void>;
}

export interface SharedRequestLimitOptions {
  /** Prefix of every Redis key. */
  readonly keyPrefix: string;
  /** How often counts held in memory are added to Redis; default 100 ms. */
  readonly syncMs?: number;
  /** Most windows held in memory; beyond it, requests are counted in Redis directly. Default 50 000. */
  readonly maxWindows?: number;
  /**
   * Longest a count waits on Redis; past it the request is let through, as on
   * an error (the plugin's `skipOnError`), so a silent Redis never hangs a
   * request. Default {@link RATE_LIMIT_WAIT_MS} (500 ms).
   */
  readonly waitMs?: number;
  readonly now?: () => number;
}

export function createSharedRequestLimit(
  redis: RedisConnection,
  options: SharedRequestLimitOptions,
): SharedRequestLimit {
  const { keyPrefix, syncMs = 100, maxWindows = 50_000, waitMs = RATE_LIMIT_WAIT_MS, now = Date.now } = options;
  if (!(waitMs > 0)) throw new RangeError("waitMs must be a positive number of milliseconds");

  const windows = createRequestWindows(redis, { maxWindows, waitMs, now });
  const { count, flush } = windows;

  const timer = setInterval(() => void flush(), syncMs);
  timer.unref();

  class Store implements FastifyRateLimitStore {
    private readonly prefix: string;
    // The plugin constructs the root store with its options object; children get their key prefix.
    constructor(prefix?: unknown) {
      this.prefix = typeof prefix === "string" ? prefix : keyPrefix;
    }

    incr(
      id: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      const key = this.prefix + id;
      const at = now();
      const window = windows.get(key);
      if (window && window.resetAt > at && window.global + window.pending + 1 <= max / 2) {
        window.pending += 1;
        callback(null, { current: window.global + window.pending, ttl: window.resetAt - at });
        return;
      }
      // A new window, or a client past half its limit: count in Redis, with what is pending here.
      let taken = 0;
      if (window && window.resetAt > at) {
        taken = window.pending;
        window.pending = 0;
      }
      // Bounded: past `waitMs` the plugin lets the request through (skipOnError), as on an error.
      // The increment may still land, so the counts put back can be counted twice: after Redis
      // was that slow a client may meet its limit a little early, never late.
      boundedWait(count(key, taken + 1, timeWindow), waitMs).then(
        (result) => callback(null, { current: result.current, ttl: result.ttl }),
        (error: Error) => {
          if (window) window.pending += taken;
          callback(error);
        },
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore["child"]>[0]): FastifyRateLimitStore {
      // The plugin passes the route's merged options, with the route under `routeInfo` (its typings omit it).
      const { routeInfo } = routeOptions as unknown as { routeInfo: { method: string; url: string } };
      return new Store(`${this.prefix}${routeInfo.method}${routeInfo.url}-`);
    }
  }

  return {
    Store,
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}
