import type { RedisConnection } from "../redis/connection.js";
import { redisScripts } from "../redis/scripts.js";
import { boundedWait } from "./bounded-wait.js";

/** One client's window as this instance sees it. */
export interface Window {
  /** The count in Redis as of the last answer, our own synced requests included. */
  global: number;
  /** Requests counted here and not yet added to Redis. */
  pending: number;
  resetAt: number;
  syncing: boolean;
}

/** The windows held in memory by a shared request limit, and their syncing with Redis. */
export interface RequestWindows {
  get(key: string): Window | undefined;
  /**
   * Adds `by` to the Redis count and folds the answer into the window held
   * here, whenever it comes. Not bounded itself: a request bounds its wait
   * for it, and a sync keeps its window marked as syncing until it settles,
   * so a silent Redis is not sent the same counts again and again.
   */
  count(key: string, by: number, windowMs: number): Promise<{ current: number; ttl: number }>;
  /** Starts a sync of every window with pending counts; resolves when they settle, or after `waitMs`. */
  flush(): Promise<void>;
}

export function createRequestWindows(
  redis: RedisConnection,
  options: { readonly maxWindows: number; readonly waitMs: number; readonly now: () => number },
): RequestWindows {
  const { maxWindows, waitMs, now } = options;
  const scripts = redisScripts(redis);
  const windows = new Map<string, Window>();
  const windowMsOf = new Map<string, number>();

  async function count(key: string, by: number, windowMs: number): Promise<{ current: number; ttl: number }> {
    const [current, ttl] = await scripts.countRequests({ keys: { counter: key }, args: { by, windowMs } });
    const at = now();
    const window = windows.get(key);
    if (window && window.resetAt > at) {
      // Answers may arrive out of order; within a window the count only grows.
      window.global = Math.max(window.global, current);
      window.resetAt = at + ttl;
    } else if (windows.size < maxWindows) {
      windows.set(key, { global: current, pending: 0, resetAt: at + ttl, syncing: false });
      windowMsOf.set(key, windowMs);
    }
    return { current, ttl };
  }

  async function flush(): Promise<void> {
    const at = now();
    const syncs: Promise<unknown>[] = [];
    for (const [key, window] of windows) {
      if (window.resetAt <= at) {
        // A finished window: what it still holds counted toward a limit that no longer applies.
        windows.delete(key);
        windowMsOf.delete(key);
        continue;
      }
      if (window.pending === 0 || window.syncing) continue;
      const taken = window.pending;
      window.pending = 0;
      window.syncing = true;
      syncs.push(
        count(key, taken, windowMsOf.get(key) ?? 60_000).then(
          () => {
            window.syncing = false;
          },
          () => {
            // Redis is away: keep the counts for the next round.
            window.pending += taken;
            window.syncing = false;
          },
        ),
      );
    }
    // Bounded for close(): a sync Redis never answers must not hold up a shutdown.
    if (syncs.length > 0) await boundedWait(Promise.all(syncs), waitMs).catch(() => {});
  }

  return { get: (key) => windows.get(key), count, flush };
}
