import { REVOCATION_QUEUE, type RedisKeys, type RevocationEvent, settleWithin } from "@patgate/shared";
import { Queue, QueueEvents } from "bullmq";
import { closeBullmq } from "../redis/close-bullmq.js";
import { duplicateConnection, type RedisConnection } from "../redis/connection.js";
import { blockingConnectionOptions, commandConnectionOptions } from "../redis/connection-options.js";

/** Longest wait for BullMQ to accept a job before the caller treats Redis as away. */
const ENQUEUE_TIMEOUT_MS = 5000;

/** Rejects when `promise` has not settled within `ms`; the timer does not hold the process up. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return settleWithin(promise, ms, () => new Error(`timed out after ${ms} ms`));
}

/** A job: the event and the outbox item to mark when it is on the deny-list. */
export interface RevocationJob {
  readonly outboxId: string;
  readonly event: RevocationEvent;
  /** Epoch ms the revocation was accepted, for the propagation-lag metric. */
  readonly acceptedAt: number;
}

export interface RevocationQueue {
  /**
   * Adds the job (idempotent by outbox id); a job of that id that failed for
   * good is retried instead, so an outbox item still pending (its worker could
   * not record the failure) is never stuck behind it. Rejects fast when Redis
   * is unreachable.
   */
  enqueue(job: RevocationJob): Promise<void>;
  /** Adds the job and waits up to `timeoutMs` for the worker to finish it; false when it did not in time. */
  enqueueAndWait(job: RevocationJob, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RevocationQueueOptions {
  /** Attempts per job before it fails for good; default 10. */
  readonly attempts?: number;
  /** First retry delay (ms), doubled on each attempt; default 200 (10 attempts span about 3.5 minutes). */
  readonly backoffMs?: number;
}

/**
 * The producer side. Its connection fails fast (no offline queue, one retry)
 * so an admin request is never held up by a Redis outage: the outbox keeps the
 * revocation and the sweeper re-enqueues it.
 */
export function createRevocationQueue(
  connection: RedisConnection,
  keys: RedisKeys,
  options: RevocationQueueOptions = {},
): RevocationQueue {
  const { attempts = 10, backoffMs = 200 } = options;
  const producer = duplicateConnection(connection, commandConnectionOptions());
  producer.on("error", () => {});
  const queue = new Queue<RevocationJob>(REVOCATION_QUEUE, { connection: producer, prefix: keys.queuePrefix });
  queue.on("error", () => {});
  let events: QueueEvents | undefined;

  const add = (job: RevocationJob) =>
    queue.add("revocation", job, {
      // The outbox id makes the job idempotent: a re-enqueue by the sweeper adds nothing new.
      jobId: job.outboxId,
      attempts,
      backoff: { type: "exponential", delay: backoffMs },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 86_400 },
    });

  async function queueEvents(): Promise<QueueEvents> {
    if (!events) {
      const listener = duplicateConnection(connection, blockingConnectionOptions());
      listener.on("error", () => {});
      events = new QueueEvents(REVOCATION_QUEUE, { connection: listener, prefix: keys.queuePrefix });
      events.on("error", () => {});
    }
    await events.waitUntilReady();
    return events;
  }

  return {
    async enqueue(job) {
      const added = async () => {
        await add(job);
        // The sweeper only enqueues items still pending in the outbox: a failed job behind one
        // means its worker gave up without recording it (DynamoDB away, a stall limit hit).
        // Another sweeper may have retried it first: then it is no longer failed, and that is fine.
        if ((await queue.getJobState(job.outboxId)) === "failed")
          await (await queue.getJob(job.outboxId))?.retry("failed").catch(() => {});
      };
      await withTimeout(added(), ENQUEUE_TIMEOUT_MS);
    },
    async enqueueAndWait(job, timeoutMs) {
      // Bounded as a whole: with Redis away, BullMQ calls can wait for a reconnect
      // indefinitely, and an admin request must answer "pending" instead.
      // The listener must be up before the job is added, or a fast worker's
      // "completed" could pass unseen. If it cannot come up, the job is still
      // added, so the queue (not only the sweeper) delivers it.
      const finished = (async () => {
        const listening = await queueEvents().catch(() => undefined);
        const added = await add(job);
        if (!listening) return false;
        await added.waitUntilFinished(listening, timeoutMs);
        return true;
      })();
      return withTimeout(finished, timeoutMs).catch(() => false);
    },
    async close() {
      // A connection BullMQ is still starting must finish first: closing removes BullMQ's error
      // listeners, and a start that failed after that would be an unhandled rejection. Not
      // while Redis is away: a start waiting for it never fails, it just never ends.
      if (!["reconnecting", "close", "end"].includes(producer.status))
        await withTimeout(Promise.allSettled([queue.waitUntilReady(), events?.waitUntilReady()]), 3000).catch(() => {});
      // Bounded: closing waits on Redis, which may be the thing that is down.
      await Promise.all([events ? closeBullmq(events, 3000) : undefined, closeBullmq(queue, 3000)]);
      producer.disconnect();
    },
  };
}
