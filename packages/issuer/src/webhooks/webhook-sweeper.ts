import { startPeriodicTask } from "../periodic-task.js";
import type { WebhookDeliveries } from "./webhook-deliveries.js";
import type { WebhookQueue } from "./webhook-queue.js";

export interface WebhookSweeperOptions {
  readonly deliveries: WebhookDeliveries;
  readonly queue: WebhookQueue;
  /** Ms between passes; default 5000. 0: no timer (call `sweep` yourself). */
  readonly intervalMs?: number;
  /** After re-enqueuing a delivery, when to look at it again if still pending, ms; default 60 000. */
  readonly recheckMs?: number;
  readonly onPending?: (count: number) => void;
  readonly now?: () => number;
}

export interface WebhookSweeper {
  /** One pass; returns how many deliveries it enqueued again. */
  sweep(): Promise<number>;
  close(): void;
}

/** Deliveries re-enqueued per pass at most. */
const SWEEP_BATCH = 100;

/**
 * With Redis: events recorded while Redis was unreachable (or whose enqueue
 * was lost with a crash) are in the delivery table, pending and past due.
 * Each pass enqueues those again (the job id is the event id: a job that
 * exists is not added twice, so several sweepers are harmless) and moves
 * their due time on, so the next pass does not repeat them.
 */
export function startWebhookSweeper(options: WebhookSweeperOptions): WebhookSweeper {
  const { deliveries, queue, intervalMs = 5000, recheckMs = 60_000, onPending, now = Date.now } = options;
  async function sweep(): Promise<number> {
    const at = now();
    const due = await deliveries.due(at, SWEEP_BATCH);
    let enqueued = 0;
    for (const delivery of due) {
      if (delivery.dueAt === undefined) continue;
      await queue.enqueue(delivery.id);
      await deliveries.postpone(delivery.id, delivery.dueAt, at + recheckMs);
      enqueued += 1;
    }
    onPending?.(await deliveries.countPending());
    return enqueued;
  }

  // Redis or DynamoDB away: the next pass tries again.
  const task = startPeriodicTask(sweep, intervalMs);
  return { sweep, close: () => task.stop() };
}
