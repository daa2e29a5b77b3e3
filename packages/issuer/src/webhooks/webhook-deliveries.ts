import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { TokenEvent } from "../events/token-events.js";
import {
  type AttemptResult,
  deliveryCursor,
  deliveryPageStart,
  toDelivery,
  type WebhookDelivery,
} from "./delivery-records.js";
import { countPending, type DeliveryTable, queryQueue } from "./delivery-table.js";
import {
  addDelivery,
  claimDelivery,
  type DeliveryItem,
  markDelivered,
  markFailed,
  postponeDelivery,
  recordDelivery,
  requeueDelivery,
  retryDeliveryAt,
} from "./delivery-writes.js";

export type { AttemptResult, DeliveryState, WebhookDelivery } from "./delivery-records.js";
export { createWebhookTable, DELIVERY_QUEUE_INDEX, webhookTableName } from "./delivery-table.js";
export type { DeliveryItem } from "./delivery-writes.js";

/**
 * The webhook delivery table, `<token table>-webhooks`: every event is
 * recorded here before anything tries to deliver it, so neither a restart nor
 * a Redis outage loses one. Embedded, it is the queue itself; with Redis,
 * BullMQ carries the attempts and this table is the record (and what a
 * sweeper re-enqueues from).
 */
export interface WebhookDeliveries {
  readonly tableName: string;
  /** Records an event, due at `dueAt` (epoch ms). Recording the same id twice keeps the first. */
  add(event: TokenEvent, dueAt: number): Promise<void>;
  /** Records a prepared body (a Shared Signals SET) the same way. */
  record(item: DeliveryItem, dueAt: number): Promise<void>;
  get(id: string): Promise<WebhookDelivery | null>;
  /** Pending deliveries due at `now` or before, oldest first. */
  due(now: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Takes a due delivery for one attempt: pushes `dueAt` to `leaseUntil` and
   * counts the attempt, only if nobody took it since it was read (its `dueAt`
   * is still `seenDueAt`). Null when someone else did. A taker that dies
   * leaves it due again at `leaseUntil`.
   */
  claim(id: string, seenDueAt: number, leaseUntil: number): Promise<WebhookDelivery | null>;
  /** Moves a pending delivery's `dueAt` (the sweeper, after re-enqueuing it). */
  postpone(id: string, seenDueAt: number, dueAt: number): Promise<boolean>;
  /** The receiver took it. */
  delivered(id: string, attempts: number, result: AttemptResult): Promise<void>;
  /** An attempt failed and another is due at `dueAt`. */
  retryAt(id: string, attempts: number, result: AttemptResult, dueAt: number): Promise<void>;
  /** The last attempt failed: it stays, listed as failed, until retried or expired. */
  failed(id: string, attempts: number, result: AttemptResult): Promise<void>;
  /** A failed delivery goes back to pending, due at `at`, its attempts counted afresh. False if it was not failed. */
  requeue(id: string, at: number): Promise<boolean>;
  /** A page of deliveries in one state, newest first. */
  list(options: {
    readonly state: "pending" | "failed";
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<{ readonly items: WebhookDelivery[]; readonly nextCursor?: string }>;
  /** How many are pending (a count over the index, not the table). */
  countPending(): Promise<number>;
}

/**
 * The delivery table in DynamoDB (or the embedded store).
 *
 * @example
 * const deliveries = createWebhookDeliveries(client, webhookTableName("patgate-tokens"));
 * await deliveries.add(event, Date.now());
 */
export function createWebhookDeliveries(client: DynamoDBClient, tableName: string): WebhookDeliveries {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const table: DeliveryTable = { doc, tableName };
  return {
    tableName,
    add: (event, dueAt) => addDelivery(table, event, dueAt),
    record: (item, dueAt) => recordDelivery(table, item, dueAt),
    async get(id) {
      const result = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
      return toDelivery(result.Item);
    },
    async due(now, limit) {
      const result = await queryQueue(table, "pending", { limit, before: now, newestFirst: false });
      return (result.Items ?? []).flatMap((raw) => toDelivery(raw) ?? []);
    },
    claim: (id, seenDueAt, leaseUntil) => claimDelivery(table, id, seenDueAt, leaseUntil),
    postpone: (id, seenDueAt, dueAt) => postponeDelivery(table, id, seenDueAt, dueAt),
    delivered: (id, attempts, result) => markDelivered(table, id, attempts, result),
    retryAt: (id, attempts, result, dueAt) => retryDeliveryAt(table, id, attempts, result, dueAt),
    failed: (id, attempts, result) => markFailed(table, id, attempts, result),
    requeue: (id, at) => requeueDelivery(table, id, at),
    async list({ state, limit, cursor }) {
      const start = cursor === undefined ? undefined : deliveryPageStart(cursor, state);
      const result = await queryQueue(table, state, { limit, newestFirst: true, ...(start ? { start } : {}) });
      const items = (result.Items ?? []).flatMap((raw) => toDelivery(raw) ?? []);
      return {
        items,
        ...(result.LastEvaluatedKey ? { nextCursor: deliveryCursor(result.LastEvaluatedKey) } : {}),
      };
    },
    countPending: () => countPending(table),
  };
}
