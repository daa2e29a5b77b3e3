import { isDenyValue, parseRevocationEvent, REVOCATION_QUEUE, type RedisKeys, redisKeys } from "@patgate/shared";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { closeBullmq } from "../redis/close-bullmq.js";
import { duplicateConnection, type RedisConnection } from "../redis/connection.js";
import { blockingConnectionOptions } from "../redis/connection-options.js";
import { createDenyListWriter } from "./deny-list-writer.js";
import type { Outbox } from "./outbox.js";
import type { RevocationJob } from "./queue.js";

export interface RevocationWorkerOptions {
  /**
   * A connection to copy; the worker's own is blocking ({@link blockingConnectionOptions}:
   * `maxRetriesPerRequest: null` as BullMQ requires, no command timeout, a socket timeout).
   */
  readonly connection: RedisConnection;
  readonly keys?: RedisKeys;
  readonly outbox: Outbox;
  /** Jobs processed at once; default 4. */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal; a worker killed mid-job
   * (SIGKILL) loses its lock after this and another worker takes the job
   * over through BullMQ's stalled-job check. Default 5000 ms.
   */
  readonly lockDurationMs?: number;
  /** Called with the propagation lag (ms) of each finished job. */
  readonly onPropagated?: (lagMs: number) => void;
  /** Called when a job fails for good (its outbox item is then `failed`), with the reason. */
  readonly onFailed?: (reason: string) => void;
  readonly now?: () => number;
}

/** Whether BullMQ will move the job to failed rather than retry it. */
function isLastAttempt(job: Job<RevocationJob>, error: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export interface RevocationWorker {
  close(): Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The worker: takes revocation jobs, writes each to the Redis deny-list and
 * change stream (one atomic script), then marks its outbox item propagated.
 * Runs inside the issuer by default and alone as `patgate worker`.
 */
export function createRevocationWorker(options: RevocationWorkerOptions): RevocationWorker {
  const { outbox, concurrency = 4, lockDurationMs = 5000, onPropagated, onFailed, now = Date.now } = options;
  const keys = options.keys ?? redisKeys();
  // Not the copied connection's timeouts: a command timeout would abort BullMQ's BZPOPMIN.
  const connection = duplicateConnection(options.connection, blockingConnectionOptions());
  connection.on("error", () => {});
  const writer = createDenyListWriter(connection, keys);

  const worker = new Worker<RevocationJob>(
    REVOCATION_QUEUE,
    async (job) => {
      try {
        // Checked again here, not only at the edge: an event the deny-list cannot carry
        // (a value Redis's cjson refuses) would fail every attempt the same way.
        const event = parseRevocationEvent(job.data.event);
        if (!event || (event.type === "deny" && !isDenyValue(event.entry.value)))
          throw new UnrecoverableError("the event is not one the deny-list can carry");
        const at = now();
        await writer.write(event, Math.floor(at / 1000));
        await outbox.markPropagated(job.data.outboxId, at);
        onPropagated?.(at - job.data.acceptedAt);
      } catch (error) {
        if (isLastAttempt(job, error)) await giveUp(job, error);
        throw error;
      }
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
  /**
   * The job will not run again: the outbox item becomes `failed` with the reason, so
   * `GET /admin/revocations` and the metrics show it instead of a silent `pending`.
   * If DynamoDB cannot take that either, the item stays pending and the sweeper
   * retries the failed job (see `RevocationQueue.enqueue`).
   */
  async function giveUp(job: Job<RevocationJob>, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    await outbox.markFailed(job.data.outboxId, now(), reason).catch(() => {});
    onFailed?.(reason);
  }

  worker.on("error", () => {
    // Connection errors: BullMQ reconnects and retries on its own.
  });

  return {
    async close() {
      // Connections still starting finish first: closing removes BullMQ's error listeners, and a
      // start that failed after that would be an unhandled rejection. Not while Redis is away:
      // a start waiting for it never fails, it just never ends.
      if (!["reconnecting", "close", "end"].includes(connection.status)) {
        await Promise.race([worker.waitUntilReady().catch(() => {}), delay(3000)]);
      }
      // Closing waits for the active job and for Redis; bounded, since Redis may be away.
      // An unfinished job is not lost: its lock expires and another worker takes it.
      await closeBullmq(worker, 3000);
      connection.disconnect();
    },
  };
}
