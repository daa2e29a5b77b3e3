import type { RedisKeys } from "@patgate/shared";
import { startStreamFollower } from "@patgate/verifier/stream-follower";
import type { RedisConnection } from "../redis/connection.js";
import { createFeed, type FeedSource } from "./feed.js";

export interface RedisFeedOptions {
  readonly redis: RedisConnection;
  readonly keys: RedisKeys;
  /** Longest blocking read, ms; default 1000. */
  readonly blockMs?: number;
  /** The feed is unhealthy once this many ms pass without a read from Redis; default blockMs + 1500. */
  readonly staleAfterMs?: number;
  readonly now?: () => number;
}

/** How long, by default, an issuer keeps trusting its feed without news from Redis (ms). */
export const DEFAULT_FEED_STALE_MS = 2500;

/**
 * The feed in Redis mode: it follows the deny-list change stream (the same
 * one every verifier follows), so each issuer hears every revocation,
 * whichever issuer or worker made it. Healthy while reads keep coming back:
 * a blocking read returns at least every `blockMs`, so a gap longer than
 * `staleAfterMs` means Redis is down or the connection died silently.
 */
export function createRedisFeed(
  options: RedisFeedOptions,
): FeedSource & { readonly ready: Promise<void>; close(): Promise<void> } {
  const { redis, keys, blockMs = 1000, staleAfterMs = DEFAULT_FEED_STALE_MS, now = Date.now } = options;
  let healthy = () => false;
  const feed = createFeed(() => healthy());
  const follower = startStreamFollower({
    redis,
    keyPrefix: keys.prefix,
    blockMs,
    now,
    handlers: {
      reset: (entries) => {
        feed.reset();
        for (const entry of entries) feed.emit({ type: "deny", entry });
      },
      event: (event) => feed.emit(event),
    },
  });
  healthy = () => {
    const status = follower.status();
    return status.ready && status.connected && now() - status.lastSyncAt <= staleAfterMs;
  };
  return { ...feed, ready: follower.ready, close: () => follower.close() };
}
