import type { RedisKeys } from "@patgate/shared";
import { type EventSink, isWebhookEvent, noEvents } from "../events/token-events.js";
import type { RedisConnection } from "../redis/connection.js";
import type { DeliveryHooks, DeliverySender } from "./attempt-delivery.js";
import { sendWebhook, type WebhookTarget } from "./send-webhook.js";
import { parseWebhookSecret, type WebhookConfig } from "./signature.js";
import { type StoreQueue, startStoreQueue } from "./store-queue.js";
import type { WebhookDeliveries } from "./webhook-deliveries.js";
import { createWebhookQueue, DEFAULT_RETRY_POLICY, type RetryPolicy, type WebhookQueue } from "./webhook-queue.js";
import { startWebhookSweeper } from "./webhook-sweeper.js";
import { createWebhookWorker } from "./webhook-worker.js";

/** With Redis: BullMQ carries the deliveries. */
export interface RedisWebhookOptions {
  /** A fail-fast command connection; copied, never closed here. */
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  /** Run the delivery worker in this process (where the revocation worker runs). Default false. */
  readonly worker?: boolean;
  /** Enqueue again what was recorded while Redis was away. Default true. */
  readonly sweeper?: boolean;
  /** The worker's lock, ms (see `WebhookWorkerOptions.lockDurationMs`). */
  readonly lockDurationMs?: number;
  /** Ms between sweeper passes; default 5000. */
  readonly sweepIntervalMs?: number;
  /**
   * How long after it was recorded (or last attempted) a pending event is due
   * to the sweeper, ms: the enqueue made at once normally delivers it well
   * before. Default 10 000.
   */
  readonly sweepGraceMs?: number;
}

export interface WebhooksOptions extends DeliveryHooks {
  readonly deliveries: WebhookDeliveries;
  /** Where events go (`PATGATE_WEBHOOK_URL`, `PATGATE_WEBHOOK_SECRET`); absent: events are dropped. */
  readonly webhook?: WebhookConfig;
  /** Absent: the embedded default, the delivery table is the queue. */
  readonly redis?: RedisWebhookOptions;
  /**
   * Embedded only: deliver from this process. The issuer does; the CLI on the
   * embedded store only records (the issuer delivers at its next start). Default true.
   */
  readonly deliver?: boolean;
  /** Default {@link DEFAULT_RETRY_POLICY}: 12 attempts, back-off doubling from 5 s. */
  readonly retry?: RetryPolicy;
  /** Per attempt, ms; default 10 000. */
  readonly timeoutMs?: number;
  /** Embedded: ms between looks for due deliveries; default 1000. */
  readonly pollMs?: number;
  /** The number of pending deliveries, from the sweeper or the embedded queue. */
  readonly onPending?: (count: number) => void;
  /** An event that could not be recorded (the store is down), or a failed pass. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

/** Token lifecycle webhooks: the event sink, the deliveries, and what delivers them. */
export interface Webhooks {
  /** Records each event for delivery; resolves once it is in the delivery table. */
  readonly sink: EventSink;
  readonly deliveries: WebhookDeliveries;
  /** Puts a failed delivery back in the queue, its attempts counted afresh. False when it is not a failed one. */
  retry(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The attempt of a webhook delivery: the Standard Webhooks POST to `target`. */
function senderFor(target: WebhookTarget): { send: DeliverySender; timeoutMs?: number } {
  return {
    send: (delivery, nowMs) => sendWebhook(target, delivery, nowMs),
    ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}),
  };
}

/** Default of `RedisWebhookOptions.sweepGraceMs`. */
const SWEEP_GRACE_MS = 10_000;

/**
 * With Redis: the BullMQ producer, the worker (when this process runs one and
 * a receiver is configured) and the sweeper; what they need closing is pushed
 * on `closers`. Returns the producer.
 */
function startRedisDelivery(
  options: WebhooksOptions,
  redis: RedisWebhookOptions,
  parts: {
    readonly target: WebhookTarget | undefined;
    readonly hooks: DeliveryHooks;
    readonly policy: RetryPolicy;
    readonly now: () => number;
    readonly sweepGraceMs: number;
    readonly closers: (() => Promise<void> | void)[];
  },
): WebhookQueue {
  const { target, hooks, policy, now, sweepGraceMs, closers } = parts;
  const { deliveries } = options;
  const producer = createWebhookQueue(redis.connection, redis.keys, policy);
  if (target && redis.worker) {
    const worker = createWebhookWorker({
      deliveries,
      ...senderFor(target),
      policy,
      hooks,
      now,
      dueSlackMs: sweepGraceMs,
      connection: redis.connection,
      keys: redis.keys,
      ...(redis.lockDurationMs ? { lockDurationMs: redis.lockDurationMs } : {}),
    });
    closers.push(() => worker.close());
  }
  if (redis.sweeper !== false) {
    const sweeper = startWebhookSweeper({
      deliveries,
      queue: producer,
      now,
      recheckMs: Math.max(sweepGraceMs, 1000),
      ...(redis.sweepIntervalMs ? { intervalMs: redis.sweepIntervalMs } : {}),
      ...(options.onPending ? { onPending: options.onPending } : {}),
    });
    closers.push(() => sweeper.close());
  }
  closers.push(() => producer.close());
  return producer;
}

/**
 * Assembles webhooks for the server, the worker, the CLI and tests. Every
 * event is written to the delivery table first (its durable record), then:
 * with Redis, enqueued on BullMQ (job id = event id; attempts with exponential
 * back-off) for the worker; embedded, picked up by the store-backed queue.
 *
 * @example
 * const webhooks = createWebhooks({ deliveries, webhook: config.webhook });
 * await createRevocation({ ..., events: webhooks.sink });
 */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  const { deliveries, webhook, redis, retry: policy = DEFAULT_RETRY_POLICY, onError, now = Date.now } = options;
  const key = webhook ? parseWebhookSecret(webhook.secret) : null;
  if (webhook && !key) throw new TypeError("the webhook secret must be whsec_ and the base64 of 24 to 64 bytes");
  const target =
    webhook && key
      ? { url: webhook.url, key, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }
      : undefined;
  const closers: (() => Promise<void> | void)[] = [];
  const hooks = {
    ...(options.onDelivered ? { onDelivered: options.onDelivered } : {}),
    ...(options.onFailed ? { onFailed: options.onFailed } : {}),
  };

  const sweepGraceMs = redis?.sweepGraceMs ?? SWEEP_GRACE_MS;
  let queue: WebhookQueue | undefined;
  let storeQueue: StoreQueue | undefined;
  if (redis) {
    queue = startRedisDelivery(options, redis, { target, hooks, policy, now, sweepGraceMs, closers });
  } else if (target && options.deliver !== false) {
    const started = startStoreQueue({
      deliveries,
      ...senderFor(target),
      policy,
      hooks,
      now,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      ...(options.onPending ? { onPending: options.onPending } : {}),
      ...(onError ? { onError } : {}),
    });
    storeQueue = started;
    closers.push(() => started.close());
  }

  const sink: EventSink = target
    ? {
        async emit(event) {
          if (!isWebhookEvent(event)) return;
          try {
            await deliveries.add(event, redis ? now() + sweepGraceMs : now());
          } catch (error) {
            onError?.(error);
            return;
          }
          // Recorded: from here a failed enqueue only delays it until the sweeper's pass.
          if (queue) await queue.enqueue(event.id).catch(() => {});
          storeQueue?.wake();
        },
      }
    : noEvents;

  let closed: Promise<void> | undefined;
  return {
    sink,
    deliveries,
    async retry(id) {
      if (!(await deliveries.requeue(id, redis ? now() + sweepGraceMs : now()))) return false;
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
