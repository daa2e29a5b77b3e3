import type { RedisKeys } from "@patgate/shared";
import { Queue } from "bullmq";
import { closeBullmq } from "../redis/close-bullmq.js";
import { duplicateConnection, type RedisConnection } from "../redis/connection.js";
import { commandConnectionOptions } from "../redis/connection-options.js";
import { withTimeout } from "../revocation/queue.js";

/** Name of the BullMQ queue that carries webhook deliveries. */
export const WEBHOOK_QUEUE = "webhooks";

/** Longest wait for BullMQ to accept a job; past it the sweeper enqueues the event later. */
const ENQUEUE_TIMEOUT_MS = 5000;

/** A job: the id of the event in the delivery table (which holds its body). */
export interface WebhookJob {
  readonly eventId: string;
}

/** How often and how patiently a delivery is tried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The wait after the first failure, ms; each later one doubles it. */
  readonly backoffMs: number;
}

/**
 * Default retry policy: 12 attempts, the waits doubling from 5 s (5 s, 10 s,
 * 20 s … about 85 min before the last): a receiver may be away almost three
 * hours before an event is listed as failed.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 12, backoffMs: 5000 };

/** The wait after `failures` failed attempts, ms: BullMQ's exponential back-off, used by the embedded queue too. */
export function backoffAfter(policy: RetryPolicy, failures: number): number {
  return policy.backoffMs * 2 ** Math.max(0, failures - 1);
}

export interface WebhookQueue {
  /** Adds the job for an event (idempotent by event id). Rejects fast when Redis is unreachable. */
  enqueue(eventId: string): Promise<void>;
  /** Adds the job again from scratch (a failed delivery retried by an admin). */
  replace(eventId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The producer side. Its connection fails fast: an event is already in the
 * delivery table, so a Redis outage only delays it (the sweeper enqueues it).
 */
export function createWebhookQueue(
  connection: RedisConnection,
  keys: RedisKeys,
  policy: RetryPolicy,
  /** The BullMQ queue; default {@link WEBHOOK_QUEUE} (Shared Signals pushes use their own). */
  queueName: string = WEBHOOK_QUEUE,
): WebhookQueue {
  const producer = duplicateConnection(connection, commandConnectionOptions());
  producer.on("error", () => {});
  const queue = new Queue<WebhookJob>(queueName, { connection: producer, prefix: keys.queuePrefix });
  queue.on("error", () => {});

  const add = (eventId: string) =>
    queue.add(
      "webhook",
      { eventId },
      {
        // The event id makes the job idempotent, and the same id reaches the receiver on every attempt.
        jobId: eventId,
        attempts: policy.attempts,
        backoff: { type: "exponential", delay: policy.backoffMs },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 86_400 },
      },
    );

  return {
    async enqueue(eventId) {
      await withTimeout(add(eventId), ENQUEUE_TIMEOUT_MS);
    },
    async replace(eventId) {
      // A failed job keeps its id until it is removed: adding it again would be a no-op.
      await withTimeout(
        (async () => {
          await queue.remove(eventId);
          await add(eventId);
        })(),
        ENQUEUE_TIMEOUT_MS,
      );
    },
    async close() {
      await closeBullmq(queue, 3000);
      producer.disconnect();
    },
  };
}
