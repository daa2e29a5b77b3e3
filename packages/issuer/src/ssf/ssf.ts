import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SsfConfig } from "../config/ssf-config.js";
import type { EventSink } from "../events/token-events.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { DeliveryHooks } from "../webhooks/attempt-delivery.js";
import { createWebhookDeliveries, createWebhookTable } from "../webhooks/webhook-deliveries.js";
import type { HostResolver } from "./endpoint-guard.js";
import { createPushDelivery, type PushDelivery, type PushDeliveryOptions, pushTableName } from "./push-delivery.js";
import { createSetQueue, createSetQueueTable, type SetQueue, setQueueTableName } from "./set-queue.js";
import { createStreamStore, createStreamTable, type StreamStore, streamTableName } from "./stream-store.js";
import { createTransmitter, type Transmitter } from "./transmitter.js";

/** Creates the Shared Signals tables beside the token table: streams, the SET queue, the push deliveries. */
export async function createSsfTables(client: DynamoDBClient, tokenTable: string): Promise<void> {
  await createStreamTable(client, streamTableName(tokenTable));
  await createSetQueueTable(client, setQueueTableName(tokenTable));
  await createWebhookTable(client, pushTableName(tokenTable));
}

export interface SsfOptions extends DeliveryHooks {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly issuer: string;
  readonly config: SsfConfig;
  /** The keys SETs are signed with (see `loadSetKeys`). */
  readonly keys: SigningKeys;
  /** Push machinery: Redis and this process's roles, retry policy, polling (see `PushDeliveryOptions`). */
  readonly push?: Pick<PushDeliveryOptions, "redis" | "deliver" | "retry" | "pollMs" | "timeoutMs" | "onPending">;
  readonly resolve?: HostResolver;
  /** How long a poll without `returnImmediately` waits for a SET, ms; default 25 000. */
  readonly longPollMs?: number;
  readonly now?: () => number;
  /** A SET made, by delivery method. */
  readonly onSet?: (method: "push" | "poll") => void;
  /** A SET dropped (a full queue, a stream disabled or deleted before its push). */
  readonly onDropped?: () => void;
  readonly onError?: (error: unknown) => void;
}

/** The Shared Signals transmitter and what it is made of. */
export interface Ssf {
  readonly config: SsfConfig;
  readonly issuer: string;
  readonly keys: SigningKeys;
  readonly streams: StreamStore;
  readonly queue: SetQueue;
  readonly push: PushDelivery;
  readonly transmitter: Transmitter;
  readonly resolve?: HostResolver;
  readonly longPollMs: number;
  readonly now: () => number;
  /** `sink` and the transmitter both hear every event (webhooks first, as before). */
  alongside(sink: EventSink): EventSink;
  close(): Promise<void>;
}

/**
 * Assembles the transmitter over DynamoDB (or the embedded store).
 *
 * @example
 * const ssf = createSsf({ dynamo, tableName, issuer, config: config.ssf, keys: setKeys });
 * createRevocation({ ..., events: ssf.alongside(webhooks.sink) });
 */
export function createSsf(options: SsfOptions): Ssf {
  const { dynamo, tableName, config, keys, issuer, now = Date.now } = options;
  const streams = createStreamStore(dynamo, streamTableName(tableName));
  const queue = createSetQueue(dynamo, setQueueTableName(tableName));
  const push = createPushDelivery({
    deliveries: createWebhookDeliveries(dynamo, pushTableName(tableName)),
    streams,
    queue,
    maxQueued: config.maxQueued,
    allowPrivateEndpoints: config.allowPrivateEndpoints,
    now,
    ...options.push,
    ...(options.resolve ? { resolve: options.resolve } : {}),
    ...(options.onDelivered ? { onDelivered: options.onDelivered } : {}),
    ...(options.onFailed ? { onFailed: options.onFailed } : {}),
    ...(options.onDropped ? { onDropped: options.onDropped } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const transmitter = createTransmitter({
    streams,
    queue,
    push,
    keys,
    issuer,
    maxQueued: config.maxQueued,
    now,
    ...(options.onSet ? { onSet: options.onSet } : {}),
    ...(options.onDropped ? { onDropped: options.onDropped } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    config,
    issuer,
    keys,
    streams,
    queue,
    push,
    transmitter,
    ...(options.resolve ? { resolve: options.resolve } : {}),
    longPollMs: options.longPollMs ?? 25_000,
    now,
    alongside(sink) {
      return {
        async emit(event) {
          await sink.emit(event);
          await transmitter.sink.emit(event);
        },
      };
    },
    close: () => push.close(),
  };
}
