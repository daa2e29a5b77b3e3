import { settleWithin } from "@patgate/shared";

/**
 * Longest a rate-limit call waits on Redis before it gives up and fails open,
 * as it does on an error. "Fail open" on errors alone does not cover a Redis
 * that went silent (a connection that died without a reset): its commands
 * neither answer nor fail, and every `/token` would wait with them. Redis
 * answers in about a millisecond, so half a second means it is not answering.
 * Default 500 ms.
 */
export const RATE_LIMIT_WAIT_MS = 500;

/** Redis did not answer a rate-limit call within its bound. */
export class RateLimitWaitError extends Error {
  constructor(ms: number) {
    super(`rate limit: no answer from Redis within ${ms} ms`);
    this.name = "RateLimitWaitError";
  }
}

/**
 * `promise`, or a {@link RateLimitWaitError} once `ms` has passed without it
 * settling. The command itself is not cancelled (Redis may still apply it),
 * and whatever it settles to later is ignored.
 *
 * @example const count = await boundedWait(redis.get(key), RATE_LIMIT_WAIT_MS);
 */
export function boundedWait<T>(promise: Promise<T>, ms: number): Promise<T> {
  // Not unref'd: a request waiting on Redis is what the process is there for.
  return settleWithin(promise, ms, () => new RateLimitWaitError(ms), false);
}
