import type { RedisKeys } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import type { DeliveryHooks } from "../webhooks/attempt-delivery.js";
import { type StoreQueue, startStoreQueue } from "../webhooks/store-queue.js";
import type { WebhookDeliveries } from "../webhooks/webhook-deliveries.js";
import {
  createWebhookQueue,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type WebhookQueue,
} from "../webhooks/webhook-queue.js";
import { startWebhookSweeper } from "../webhooks/webhook-sweeper.js";
import { createWebhookWorker } from "../webhooks/webhook-worker.js";
import { PUSH_TIMEOUT_MS, type PushSendParts, pushSender } from "./push-send.js";
import type { SignedSet } from "./set-signer.js";

/** The BullMQ queue of SET pushes. */
export const SSF_PUSH_QUEUE = "ssf-push";

/** Name of the push delivery table (the webhook delivery table's shape) beside the token table. */
export function pushTableName(tokenTable: string): string {
  return `${tokenTable}-ssf-push`;
}

export interface PushDeliveryOptions extends PushSendParts, DeliveryHooks {
  readonly deliveries: WebhookDeliveries;
  /** With Redis: BullMQ carries the attempts (as for webhooks); absent: the table is the queue. */
  readonly redis?: {
    readonly connection: RedisConnection;
    readonly keys: RedisKeys;
    readonly worker: boolean;
    readonly sweeper: boolean;
    readonly sweepGraceMs?: number;
    readonly sweepIntervalMs?: number;
    readonly lockDurationMs?: number;
  };
  /** Embedded: deliver from this process (the CLI only records). Default true. */
  readonly deliver?: boolean;
  readonly retry?: RetryPolicy;
  readonly pollMs?: number;
  readonly onPending?: (count: number) => void;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

/** RFC 8935 push of SETs, on the webhooks' durable delivery machinery. */
export interface PushDelivery {
  readonly deliveries: WebhookDeliveries;
  /** Records a SET for a stream (durably, before anything tries to send it) and enqueues it. */
  record(streamId: string, set: SignedSet): Promise<void>;
  /** A failed push goes back to the queue. False when it is not a failed one. */
  retry(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Every SET is written to the push table first (id = its `jti`, type = its
 * stream, body = the signed SET: every attempt sends the same bytes), then
 * attempted with the webhooks' machinery: BullMQ with back-off and a sweeper
 * for what Redis missed, or the table as the queue in the embedded default.
 * A SIGKILL anywhere after the record loses nothing; an attempt cut short is
 * made again with the same `jti`.
 */
/** What attempts the pushes: BullMQ (worker and sweeper as this process's roles say) or the store queue. */
function startAttempts(
  options: PushDeliveryOptions,
  closers: (() => Promise<void> | void)[],
): { queue?: WebhookQueue; storeQueue?: StoreQueue; graceMs: number } {
  const { deliveries, redis, retry: policy = DEFAULT_RETRY_POLICY, now = Date.now } = options;
  const send = pushSender(options);
  const timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS;
  const hooks = {
    ...(options.onDelivered ? { onDelivered: options.onDelivered } : {}),
    ...(options.onFailed ? { onFailed: options.onFailed } : {}),
  };
  const graceMs = redis?.sweepGraceMs ?? 10_000;
  if (!redis) {
    if (options.deliver === false) return { graceMs };
    const storeQueue = startStoreQueue({
      deliveries,
      send,
      timeoutMs,
      policy,
      hooks,
      now,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      ...(options.onPending ? { onPending: options.onPending } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    closers.push(() => storeQueue.close());
    return { storeQueue, graceMs };
  }
  const queue = createWebhookQueue(redis.connection, redis.keys, policy, SSF_PUSH_QUEUE);
  if (redis.worker) {
    const worker = createWebhookWorker({
      deliveries,
      send,
      timeoutMs,
      policy,
      hooks,
      now,
      dueSlackMs: graceMs,
      connection: redis.connection,
      keys: redis.keys,
      queueName: SSF_PUSH_QUEUE,
      ...(redis.lockDurationMs ? { lockDurationMs: redis.lockDurationMs } : {}),
    });
    closers.push(() => worker.close());
  }
  if (redis.sweeper) {
    const sweeper = startWebhookSweeper({
      deliveries,
      queue,
      now,
      recheckMs: Math.max(graceMs, 1000),
      ...(redis.sweepIntervalMs ? { intervalMs: redis.sweepIntervalMs } : {}),
      ...(options.onPending ? { onPending: options.onPending } : {}),
    });
    closers.push(() => sweeper.close());
  }
  closers.push(() => queue.close());
  return { queue, graceMs };
}

export function createPushDelivery(options: PushDeliveryOptions): PushDelivery {
  const { deliveries, redis, now = Date.now } = options;
  const closers: (() => Promise<void> | void)[] = [];
  const { queue, storeQueue, graceMs } = startAttempts(options, closers);

  let closed: Promise<void> | undefined;
  return {
    deliveries,
    async record(streamId, set) {
      await deliveries.record(
        { id: set.jti, type: streamId, body: set.set, createdAt: set.at },
        redis ? now() + graceMs : now(),
      );
      // Recorded: a failed enqueue only waits for the sweeper.
      if (queue) await queue.enqueue(set.jti).catch(() => {});
      storeQueue?.wake();
    },
    async retry(id) {
      if (!(await deliveries.requeue(id, redis ? now() + graceMs : now()))) return false;
      if (queue) await queue.replace(id).catch(() => {});
      storeQueue?.wake();
      return true;
    },
    close() {
      closed ??= (async () => {
        for (const close of closers) await close();
      })();
      return closed;
    },
  };
}
