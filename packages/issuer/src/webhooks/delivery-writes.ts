import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { eventPayload, type TokenEvent } from "../events/token-events.js";
import {
  type AttemptResult,
  DELIVERED_RETENTION_SECONDS,
  FAILED_RETENTION_SECONDS,
  lastAttempt,
  toDelivery,
  type WebhookDelivery,
} from "./delivery-records.js";
import { conditionalUpdate, type DeliveryTable } from "./delivery-table.js";

/** Every change of a delivery's state, each one conditional write (see `WebhookDeliveries`). */

/** What a delivery is made of: its id, a type (the event's; a Shared Signals stream's id), the exact body. */
export interface DeliveryItem {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  /** Epoch ms the event happened. */
  readonly createdAt: number;
}

export function addDelivery(table: DeliveryTable, event: TokenEvent, dueAt: number): Promise<void> {
  const createdAt = Date.parse(event.timestamp) || dueAt;
  return recordDelivery(table, { id: event.id, type: event.type, body: eventPayload(event), createdAt }, dueAt);
}

export async function recordDelivery(table: DeliveryTable, item: DeliveryItem, dueAt: number): Promise<void> {
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          id: item.id,
          type: item.type,
          body: item.body,
          state: "pending",
          queue: "pending",
          dueAt,
          attempts: 0,
          createdAt: item.createdAt,
        },
        // An id recorded twice (a deterministic expiry event from two workers) is one event.
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function claimDelivery(
  table: DeliveryTable,
  id: string,
  seenDueAt: number,
  leaseUntil: number,
): Promise<WebhookDelivery | null> {
  try {
    const result = await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { id },
        UpdateExpression: "SET dueAt = :lease, attempts = if_not_exists(attempts, :zero) + :one",
        ConditionExpression: "#q = :pending AND dueAt = :seen",
        ExpressionAttributeNames: { "#q": "queue" },
        ExpressionAttributeValues: {
          ":lease": leaseUntil,
          ":seen": seenDueAt,
          ":pending": "pending",
          ":zero": 0,
          ":one": 1,
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return toDelivery(result.Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return null;
    throw error;
  }
}

export function postponeDelivery(table: DeliveryTable, id: string, seenDueAt: number, dueAt: number): Promise<boolean> {
  return conditionalUpdate(table, {
    Key: { id },
    UpdateExpression: "SET dueAt = :due",
    ConditionExpression: "#q = :pending AND dueAt = :seen",
    ExpressionAttributeNames: { "#q": "queue" },
    ExpressionAttributeValues: { ":due": dueAt, ":seen": seenDueAt, ":pending": "pending" },
  });
}

export async function markDelivered(
  table: DeliveryTable,
  id: string,
  attempts: number,
  result: AttemptResult,
): Promise<void> {
  const last = lastAttempt(result);
  await conditionalUpdate(table, {
    Key: { id },
    UpdateExpression: `SET #state = :delivered, deliveredAt = :at, attempts = :attempts, expiresAt = :expires, ${last.sets} REMOVE #q, dueAt`,
    ConditionExpression: "attribute_exists(id)",
    ExpressionAttributeNames: { "#state": "state", "#q": "queue" },
    ExpressionAttributeValues: {
      ...last.values,
      ":delivered": "delivered",
      ":attempts": attempts,
      ":expires": Math.floor(result.at / 1000) + DELIVERED_RETENTION_SECONDS,
    },
  });
}

export async function retryDeliveryAt(
  table: DeliveryTable,
  id: string,
  attempts: number,
  result: AttemptResult,
  dueAt: number,
): Promise<void> {
  const last = lastAttempt(result);
  // Only while still pending: a delivery another worker finished is left alone.
  await conditionalUpdate(table, {
    Key: { id },
    UpdateExpression: `SET dueAt = :due, attempts = :attempts, ${last.sets}`,
    ConditionExpression: "#q = :pending",
    ExpressionAttributeNames: { "#q": "queue" },
    ExpressionAttributeValues: { ...last.values, ":due": dueAt, ":attempts": attempts, ":pending": "pending" },
  });
}

export async function markFailed(
  table: DeliveryTable,
  id: string,
  attempts: number,
  result: AttemptResult,
): Promise<void> {
  const last = lastAttempt(result);
  await conditionalUpdate(table, {
    Key: { id },
    UpdateExpression: `SET #state = :failed, #q = :failed, dueAt = :at, failedAt = :at, attempts = :attempts, expiresAt = :expires, ${last.sets}`,
    ConditionExpression: "#q = :pending",
    ExpressionAttributeNames: { "#state": "state", "#q": "queue" },
    ExpressionAttributeValues: {
      ...last.values,
      ":failed": "failed",
      ":pending": "pending",
      ":attempts": attempts,
      ":expires": Math.floor(result.at / 1000) + FAILED_RETENTION_SECONDS,
    },
  });
}

export function requeueDelivery(table: DeliveryTable, id: string, at: number): Promise<boolean> {
  return conditionalUpdate(table, {
    Key: { id },
    UpdateExpression: "SET #state = :pending, #q = :pending, dueAt = :at, attempts = :zero REMOVE expiresAt, failedAt",
    ConditionExpression: "#q = :failed",
    ExpressionAttributeNames: { "#state": "state", "#q": "queue" },
    ExpressionAttributeValues: { ":pending": "pending", ":failed": "failed", ":at": at, ":zero": 0 },
  });
}
