import { type AttemptParts, attemptDelivery } from "./attempt-delivery.js";
import { WEBHOOK_TIMEOUT_MS } from "./send-webhook.js";

export interface StoreQueueOptions extends AttemptParts {
  /** Ms between looks for due deliveries when there is nothing to do; default 1000. */
  readonly pollMs?: number;
  /**
   * How long an attempt holds a delivery, ms: a process that dies mid-attempt
   * leaves it due again after this. Longer than an attempt can take. Default
   * the attempt timeout + 5000.
   */
  readonly leaseMs?: number;
  /** Deliveries taken per pass (attempted at once); default 10. */
  readonly batch?: number;
  /** The number of pending deliveries, at most every 5 s. */
  readonly onPending?: (count: number) => void;
  /** A pass that failed (the store is down); the next pass tries again. */
  readonly onError?: (error: unknown) => void;
}

export interface StoreQueue {
  /** Looks for due deliveries now (an event was just recorded). */
  wake(): void;
  /** One pass: takes the due deliveries and attempts each; returns how many it attempted. */
  runOnce(): Promise<number>;
  /** Stops, after the attempts in flight. Idempotent. */
  close(): Promise<void>;
}

/** Least time between two pending counts, ms. */
const PENDING_COUNT_INTERVAL_MS = 5000;

/**
 * The embedded default's webhook queue: the delivery table is the queue. A
 * pass queries the due deliveries on the sparse index (never the table),
 * takes each with a conditional write (so two passes, or two processes, never
 * attempt the same one at once), attempts it and records the outcome: the
 * retry's due time is in the table, so back-off and pending deliveries
 * survive a restart.
 */
export function startStoreQueue(options: StoreQueueOptions): StoreQueue {
  const { deliveries, now, pollMs = 1000, batch = 10, onPending, onError } = options;
  const leaseMs = options.leaseMs ?? (options.timeoutMs ?? WEBHOOK_TIMEOUT_MS) + 5000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let lastCount = 0;

  async function runOnce(): Promise<number> {
    const at = now();
    const due = await deliveries.due(at, batch);
    const attempts = await Promise.all(
      due.map(async (seen) => {
        if (seen.dueAt === undefined) return false;
        const claimed = await deliveries.claim(seen.id, seen.dueAt, at + leaseMs);
        if (!claimed) return false; // another pass took it
        await attemptDelivery(options, claimed, claimed.attempts);
        return true;
      }),
    );
    if (onPending && now() - lastCount >= PENDING_COUNT_INTERVAL_MS) {
      lastCount = now();
      onPending(await deliveries.countPending());
    }
    return attempts.filter(Boolean).length;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(pass, delayMs);
    timer.unref();
  }

  function pass(): void {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      let busy = false;
      try {
        // A full batch means more may be due: go on at once.
        busy = (await runOnce()) >= batch;
      } catch (error) {
        onError?.(error);
      }
      running = undefined;
      const next = again || busy ? 0 : pollMs;
      again = false;
      schedule(next);
    })();
  }

  schedule(0);
  let closed: Promise<void> | undefined;
  return {
    wake: () => schedule(0),
    runOnce,
    close() {
      closed ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      })();
      return closed;
    },
  };
}
