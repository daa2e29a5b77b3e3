import type { RedisKeys } from "@patgate/shared";
import { startPeriodicTask } from "../periodic-task.js";
import type { RedisConnection } from "../redis/connection.js";
import type { Outbox } from "./outbox.js";
import type { RevocationQueue } from "./queue.js";

export interface OutboxSweeper {
  /**
   * One pass: if Redis lost the deny-list (and on the first pass, always),
   * enqueues again every revocation still in force; then re-enqueues every pending item older than the grace
   * period, and counts the failed ones. Returns how many were pending.
   */
  sweep(): Promise<number>;
  close(): void;
}

export interface OutboxSweeperOptions {
  readonly outbox: Outbox;
  readonly queue: RevocationQueue;
  /** Milliseconds between passes; default 2000. 0 means no timer (call `sweep` yourself). */
  readonly intervalMs?: number;
  /** Items younger than this are left to the request that made them; default 3000 ms. */
  readonly graceMs?: number;
  readonly onPending?: (count: number) => void;
  /** Called on each pass with how many outbox items failed for good (kept a week, see the outbox). */
  readonly onFailed?: (count: number) => void;
  /** With Redis and its keys, the sweeper also restores a deny-list Redis lost (see `RedisKeys.denyComplete`). */
  readonly redis?: RedisConnection;
  readonly keys?: RedisKeys;
  readonly onRestored?: (count: number) => void;
  readonly now?: () => number;
}

/**
 * Delivers revocations that were accepted while Redis was unreachable: they
 * sit `pending` in the outbox, and every pass re-enqueues them. The job id is
 * the outbox id, so several issuers sweeping at once add each job only once.
 */
export function startOutboxSweeper(options: OutboxSweeperOptions): OutboxSweeper {
  const {
    outbox,
    queue,
    intervalMs = 2000,
    graceMs = 3000,
    onPending,
    onFailed,
    redis,
    keys,
    onRestored,
    now = Date.now,
  } = options;
  let caughtUp = false;

  /**
   * A Redis restarted without its data has an empty deny-list while JWTs it
   * denied are still alive. The outbox (DynamoDB) keeps every revocation for a
   * week: the deny entries not yet expired go through the worker again. Jobs
   * and entries are idempotent, so two sweepers doing this at once are harmless.
   */
  async function restoreIfLost(force: boolean): Promise<void> {
    if (!redis || !keys || (!force && (await redis.exists(keys.denyComplete)))) return;
    const nowSeconds = Math.floor(now() / 1000);
    const inForce = (await outbox.recent(Number.MAX_SAFE_INTEGER)).filter(
      (item) => item.event.type === "deny" && item.event.entry.expiresAt > nowSeconds,
    );
    for (const item of inForce.reverse()) {
      await queue.enqueue({ outboxId: item.id, event: item.event, acceptedAt: item.createdAt });
    }
    await redis.set(keys.denyComplete, String(now()));
    onRestored?.(inForce.length);
  }

  async function sweep(): Promise<number> {
    // The first pass writes every revocation still in force whatever the marker says: some may
    // have been made while this data ran without Redis (the embedded default), and never reached it.
    await restoreIfLost(!caughtUp);
    caughtUp = true;
    // One read for both: the pending items to deliver and the failed ones to report.
    const undelivered = await outbox.undelivered();
    const olderThan = now() - graceMs;
    const pending = undelivered.filter((item) => item.state === "pending" && item.createdAt < olderThan);
    onPending?.(pending.length);
    onFailed?.(undelivered.filter((item) => item.state === "failed").length);
    for (const item of pending) {
      await queue.enqueue({ outboxId: item.id, event: item.event, acceptedAt: item.createdAt });
    }
    return pending.length;
  }

  // Redis or DynamoDB still down: the next pass tries again.
  const task = startPeriodicTask(sweep, intervalMs);
  return { sweep, close: () => task.stop() };
}
