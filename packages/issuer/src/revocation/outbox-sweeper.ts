import type { Outbox } from "./outbox.js";
import type { RevocationQueue } from "./queue.js";

export interface OutboxSweeper {
  /** One pass: re-enqueues every pending item older than the grace period; returns how many were pending. */
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
  readonly now?: () => number;
}

/**
 * Delivers revocations that were accepted while Redis was unreachable: they
 * sit `pending` in the outbox, and every pass re-enqueues them. The job id is
 * the outbox id, so several issuers sweeping at once add each job only once.
 */
export function startOutboxSweeper(options: OutboxSweeperOptions): OutboxSweeper {
  const { outbox, queue, intervalMs = 2000, graceMs = 3000, onPending, now = Date.now } = options;
  let running = false;

  async function sweep(): Promise<number> {
    const pending = await outbox.pending(now() - graceMs);
    onPending?.(pending.length);
    for (const item of pending) {
      await queue.enqueue({ outboxId: item.id, event: item.event, acceptedAt: item.createdAt });
    }
    return pending.length;
  }

  const timer =
    intervalMs > 0
      ? setInterval(() => {
          if (running) return;
          running = true;
          sweep()
            .catch(() => {
              // Redis or DynamoDB still down: the next pass tries again.
            })
            .finally(() => {
              running = false;
            });
        }, intervalMs)
      : undefined;
  timer?.unref();

  return {
    sweep,
    close: () => clearInterval(timer),
  };
}
