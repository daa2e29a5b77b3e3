import type { RedisKeys } from "@patgate/shared";
import { Worker } from "bullmq";
import { closeBullmq } from "../redis/close-bullmq.js";
import { duplicateConnection, type RedisConnection } from "../redis/connection.js";
import { blockingConnectionOptions } from "../redis/connection-options.js";
import { type AttemptParts, attemptDelivery } from "./attempt-delivery.js";
import { WEBHOOK_QUEUE, type WebhookJob } from "./webhook-queue.js";

export interface WebhookWorkerOptions extends AttemptParts {
  /** A connection to copy; the worker's own is blocking ({@link blockingConnectionOptions}). */
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  /** The BullMQ queue; default {@link WEBHOOK_QUEUE}. */
  readonly queueName?: string;
  /** Deliveries made at once; default 4. */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal (BullMQ renews it while an
   * attempt runs). A worker killed mid-delivery loses its lock after this, and
   * another worker makes the attempt again, with the same `webhook-id`.
   * Default 5000 ms.
   */
  readonly lockDurationMs?: number;
}

export interface WebhookWorker {
  close(): Promise<void>;
}

/**
 * Delivers webhook jobs: reads the event from the delivery table, POSTs it,
 * and records the attempt there. A failed attempt throws, so BullMQ retries it
 * with exponential back-off until the policy's attempts are spent; the last
 * one is recorded as failed first.
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { deliveries, keys, concurrency = 4, lockDurationMs = 5000, queueName = WEBHOOK_QUEUE } = options;
  // Not the copied connection's timeouts: a command timeout would abort BullMQ's BZPOPMIN.
  const connection = duplicateConnection(options.connection, blockingConnectionOptions());
  connection.on("error", () => {});

  const worker = new Worker<WebhookJob>(
    queueName,
    async (job) => {
      const delivery = await deliveries.get(job.data.eventId);
      // Delivered already (a job enqueued twice), or failed and not retried: nothing to do.
      if (delivery?.state !== "pending") return;
      const result = await attemptDelivery(options, delivery, job.attemptsMade + 1);
      if (!result.ok) throw new Error(result.error);
    },
    {
      connection,
      prefix: keys.queuePrefix,
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: lockDurationMs,
      maxStalledCount: 10,
    },
  );
  worker.on("error", () => {
    // Connection errors: BullMQ reconnects and retries on its own.
  });

  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        // Bounded: Redis may be away. An unfinished attempt is not lost: its lock lapses and it runs again.
        await closeBullmq(worker, 3000);
        connection.disconnect();
      })();
      return closed;
    },
  };
}
