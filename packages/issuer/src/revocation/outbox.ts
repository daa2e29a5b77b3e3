import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { RevocationEvent } from "@patgate/shared";
import { conditionHeld, isConditionFailure } from "../dynamo/dynamo-helpers.js";
import {
  DENY_RETENTION_AFTER_EXPIRY_SECONDS,
  MAX_REASON_LENGTH,
  type Outbox,
  type OutboxItem,
  outboxId,
  PROPAGATED_RETENTION_SECONDS,
  toOutboxItem,
} from "./outbox-records.js";
import { PENDING_INDEX, PENDING_KEY, PENDING_VALUE } from "./outbox-table.js";

export { createMemoryOutbox } from "./memory-outbox.js";
export type { Outbox, OutboxItem, OutboxState } from "./outbox-records.js";
export { jtiOutboxId } from "./outbox-records.js";
export { createOutboxTable, outboxTableName, PENDING_INDEX } from "./outbox-table.js";

/** An index the table lacks: an outbox table made before `pending-index`, on an emulator that cannot add it. */
function isMissingIndex(error: unknown): boolean {
  return error instanceof Error && error.name === "ValidationException" && /index/i.test(error.message);
}

type Doc = DynamoDBDocumentClient;
type ReadPage = (start: Record<string, unknown> | undefined) => Promise<{
  Items?: Record<string, unknown>[] | undefined;
  LastEvaluatedKey?: Record<string, unknown> | undefined;
}>;

/** Every item of a paged read, oldest page first; records that do not parse are skipped. */
async function readAll(read: ReadPage): Promise<OutboxItem[]> {
  const items: OutboxItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await read(start);
    for (const raw of page.Items ?? []) {
      const item = toOutboxItem(raw);
      if (item) items.push(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function scanAll(doc: Doc, tableName: string, filter?: { expression: string; values: Record<string, unknown> }) {
  return readAll((start) =>
    doc.send(
      new ScanCommand({
        TableName: tableName,
        ...(filter
          ? {
              FilterExpression: filter.expression,
              ExpressionAttributeValues: filter.values,
              ExpressionAttributeNames: { "#state": "state" },
            }
          : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    ),
  );
}

function queryUndelivered(doc: Doc, tableName: string) {
  return readAll((start) =>
    doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: PENDING_INDEX,
        KeyConditionExpression: "#key = :key",
        ExpressionAttributeNames: { "#key": PENDING_KEY },
        ExpressionAttributeValues: { ":key": PENDING_VALUE },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    ),
  );
}

/** Writes `event` as pending; the same jti recorded before returns the item already held. */
async function addPending(doc: Doc, tableName: string, event: RevocationEvent, createdAt: number) {
  const id = outboxId(event, createdAt);
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          id,
          event: JSON.stringify(event),
          state: "pending",
          [PENDING_KEY]: PENDING_VALUE,
          createdAt,
          ...(event.type === "deny" ? { expiresAt: event.entry.expiresAt + DENY_RETENTION_AFTER_EXPIRY_SECONDS } : {}),
        },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The same jti, recorded before: one item for both.
    const existing = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
    const item = existing.Item ? toOutboxItem(existing.Item) : null;
    if (item) return item;
    throw error;
  }
  const item: OutboxItem = { id, event, state: "pending", createdAt };
  return item;
}

/** A conditional update whose condition failing means there is nothing to change (the item is gone, or done). */
async function updateIfStill(doc: Doc, command: UpdateCommand): Promise<void> {
  await conditionHeld(() => doc.send(command));
}

/**
 * An outbox in DynamoDB. The sweeper's `pending` queries the sparse
 * `pending-index`, which holds only the items still to deliver: its cost does
 * not grow with the propagated items the table keeps. `recent` (the admin
 * listing, and restoring a deny-list Redis lost) scans.
 */
export function createOutbox(client: DynamoDBClient, tableName: string, now: () => number = Date.now): Outbox {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let indexMissing = false;
  return {
    add: (event) => addPending(doc, tableName, event, now()),

    // An item already gone (TTL) has nothing left to mark.
    markPropagated: (id, at) =>
      updateIfStill(
        doc,
        new UpdateCommand({
          TableName: tableName,
          Key: { id },
          // Out of the pending index; a deny entry keeps the expiry it was given when recorded.
          UpdateExpression:
            "SET #state = :propagated, propagatedAt = :at, expiresAt = if_not_exists(expiresAt, :expires) REMOVE #key",
          ConditionExpression: "attribute_exists(id)",
          ExpressionAttributeNames: { "#state": "state", "#key": PENDING_KEY },
          ExpressionAttributeValues: {
            ":propagated": "propagated",
            ":at": at,
            ":expires": Math.floor(at / 1000) + PROPAGATED_RETENTION_SECONDS,
          },
        }),
      ),

    // Gone (TTL) or already propagated: nothing to record.
    markFailed: (id, at, reason) =>
      updateIfStill(
        doc,
        new UpdateCommand({
          TableName: tableName,
          Key: { id },
          UpdateExpression: "SET #state = :failed, failedAt = :at, #reason = :reason, expiresAt = :expires",
          ConditionExpression: "attribute_exists(id) AND #state <> :propagated",
          ExpressionAttributeNames: { "#state": "state", "#reason": "reason" },
          ExpressionAttributeValues: {
            ":failed": "failed",
            ":propagated": "propagated",
            ":at": at,
            ":reason": reason.slice(0, MAX_REASON_LENGTH),
            ":expires": Math.floor(at / 1000) + PROPAGATED_RETENTION_SECONDS,
          },
        }),
      ),

    async undelivered() {
      if (!indexMissing) {
        try {
          return (await queryUndelivered(doc, tableName)).sort((x, y) => x.createdAt - y.createdAt);
        } catch (error) {
          if (!isMissingIndex(error)) throw error;
          indexMissing = true;
        }
      }
      // A table made before the index, on an emulator that could not add it: scanned, as it used to be.
      const items = await scanAll(doc, tableName, {
        expression: "#state <> :propagated",
        values: { ":propagated": "propagated" },
      });
      return items.sort((a, b) => a.createdAt - b.createdAt);
    },

    async recent(limit) {
      const items = await scanAll(doc, tableName);
      return items.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
  };
}
