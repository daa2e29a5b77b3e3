import { type RedisKeys, redisKeys } from "@patgate/shared";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { blockingConnectionOptions } from "../redis/connection-options.js";
import { createDenyListWriter } from "./deny-list-writer.js";
import type { Outbox } from "./outbox.js";
import { REVOCATION_QUEUE, type RevocationJob } from "./queue.js";

export interface RevocationWorkerOptions {
  /**
   * A connection to copy; the worker's own is blocking ({@link blockingConnectionOptions}:
   * `maxRetriesPerRequest: null` as BullMQ requires, no command timeout, a socket timeout).
   */
  readonly connection: Redis;
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
  readonly now?: () => number;
}

export interface RevocationWorker {
  close(): Promise<void>;
}

/**
 * The worker: takes revocation jobs, writes each to the Redis deny-list and
 * change stream (one atomic script), then marks its outbox item propagated.
 * Runs inside the issuer by default and alone as `patgate worker`.
 */
export function createRevocationWorker(options: RevocationWorkerOptions): RevocationWorker {
  const { outbox, concurrency = 4, lockDurationMs = 5000, onPropagated, now = Date.now } = options;
  const keys = options.keys ?? redisKeys();
  // Not the copied connection's timeouts: a command timeout would abort BullMQ's BZPOPMIN.
  const connection = options.connection.duplicate(blockingConnectionOptions());
  connection.on("error", () => {});
  const writer = createDenyListWriter(connection, keys);

  const worker = new Worker<RevocationJob>(
    REVOCATION_QUEUE,
    async (job) => {
      const at = now();
      await writer.write(job.data.event, Math.floor(at / 1000));
      await outbox.markPropagated(job.data.outboxId, at);
      onPropagated?.(at - job.data.acceptedAt);
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

  return {
    async close() {
      // Connections still starting finish first: closing removes BullMQ's error listeners, and a
      // start that failed after that would be an unhandled rejection. Not while Redis is away:
      // a start waiting for it never fails, it just never ends.
      if (!["reconnecting", "close", "end"].includes(connection.status)) {
        await Promise.race([
          worker.waitUntilReady().catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 3000).unref()),
        ]);
      }
      // Closing waits for the active job and for Redis; bounded, since Redis may be away.
      // An unfinished job is not lost: its lock expires and another worker takes it.
      await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      connection.disconnect();
    },
  };
}
