import type { RedisKeys } from "@patgate/shared";
import { Queue, Worker } from "bullmq";
import { closeBullmq } from "../redis/close-bullmq.js";
import { duplicateConnection, type RedisConnection } from "../redis/connection.js";
import { blockingConnectionOptions, commandConnectionOptions } from "../redis/connection-options.js";
import { withTimeout } from "../revocation/queue.js";

/** A periodic lifecycle task: the expiry warnings, the unused-token revocation. */
export interface LifecycleTask {
  /** Its job scheduler id and job name, e.g. `expiry-warnings`. */
  readonly name: string;
  /** How often it runs, ms. */
  readonly everyMs: number;
  run(): Promise<unknown>;
}

/** Every task name a scheduler may have registered: a process removes those it does not run. */
export const LIFECYCLE_TASK_NAMES = ["expiry-warnings", "unused-tokens"] as const;

/** Name of the BullMQ queue of lifecycle jobs. */
export const LIFECYCLE_QUEUE = "lifecycle";

export interface LifecycleScheduler {
  close(): Promise<void>;
}

export interface RedisLifecycleSchedulerOptions {
  /** A fail-fast command connection; copied, never closed here. */
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  readonly tasks: readonly LifecycleTask[];
  /** A task that failed (it runs again at its next time). */
  readonly onError?: (error: unknown, task: string) => void;
}

/** Ms between attempts to register the job schedulers while Redis does not answer. */
const REGISTER_RETRY_MS = 30_000;

/**
 * With Redis: one BullMQ job scheduler per task (upserted by every process
 * that runs the worker: the same id, so one schedule however many there are),
 * and a worker that runs each job it is handed. BullMQ hands each run to one
 * worker; a run that overlaps another (a slow one, a stalled one taken over)
 * is harmless, as every task claims its work with conditional writes.
 */
export function startRedisLifecycleScheduler(options: RedisLifecycleSchedulerOptions): LifecycleScheduler {
  const { keys, tasks, onError } = options;
  const byName = new Map(tasks.map((task) => [task.name, task]));
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  /**
   * Registers the schedules through a short-lived Queue, made again for each
   * attempt: a BullMQ connection whose start failed stays failed, and BullMQ's
   * job-scheduler getter does not catch that (an unhandled rejection), so the
   * queue is checked ready first.
   */
  async function register(): Promise<void> {
    const producer = duplicateConnection(options.connection, commandConnectionOptions());
    producer.on("error", () => {});
    const queue = new Queue(LIFECYCLE_QUEUE, { connection: producer, prefix: keys.queuePrefix });
    queue.on("error", () => {});
    try {
      await queue.waitUntilReady();
      for (const task of tasks) {
        await queue.upsertJobScheduler(
          task.name,
          { every: task.everyMs },
          { name: task.name, opts: { removeOnComplete: true, removeOnFail: 50 } },
        );
      }
      // A task turned off here (PATGATE_REVOKE_UNUSED_AFTER unset) stops being scheduled.
      for (const name of LIFECYCLE_TASK_NAMES) if (!byName.has(name)) await queue.removeJobScheduler(name);
    } finally {
      await closeBullmq(queue, 3000);
      producer.disconnect();
    }
  }
  const registerUntilDone = () => {
    withTimeout(register(), 10_000).catch(() => {
      if (!stopped) {
        retry = setTimeout(registerUntilDone, REGISTER_RETRY_MS);
        retry.unref();
      }
    });
  };
  registerUntilDone();

  const connection = duplicateConnection(options.connection, blockingConnectionOptions());
  connection.on("error", () => {});
  const worker = new Worker(
    LIFECYCLE_QUEUE,
    async (job) => {
      const task = byName.get(job.name);
      if (!task) return;
      try {
        await task.run();
      } catch (error) {
        onError?.(error, task.name);
        throw error;
      }
    },
    { connection, prefix: keys.queuePrefix, concurrency: 1 },
  );
  worker.on("error", () => {});

  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        stopped = true;
        clearTimeout(retry);
        await closeBullmq(worker, 3000);
        connection.disconnect();
      })();
      return closed;
    },
  };
}

/**
 * Embedded (no Redis): each task on a timer in this process, first a few
 * seconds after start, then every `everyMs` after the previous run ended.
 */
export function startTimerLifecycleScheduler(options: {
  readonly tasks: readonly LifecycleTask[];
  /** Ms before the first run; default 5000. */
  readonly firstRunMs?: number;
  readonly onError?: (error: unknown, task: string) => void;
}): LifecycleScheduler {
  const { tasks, firstRunMs = 5000, onError } = options;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const schedule = (task: LifecycleTask, delayMs: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      const run = task
        .run()
        .then(
          () => undefined,
          (error: unknown) => onError?.(error, task.name),
        )
        .finally(() => {
          running.delete(run);
          schedule(task, task.everyMs);
        });
      running.add(run);
    }, delayMs);
    timer.unref();
    timers.set(task.name, timer);
  };
  for (const task of tasks) schedule(task, firstRunMs);

  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        stopped = true;
        for (const timer of timers.values()) clearTimeout(timer);
        await Promise.all(running);
      })();
      return closed;
    },
  };
}
