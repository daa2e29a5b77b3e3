import { randomBytes } from "node:crypto";
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { parseRevocationEvent, type RevocationEvent } from "@patgate/shared";
import { enableTtl } from "../tokens/table.js";

/**
 * Where a revocation is: waiting to be delivered, on the deny-list, or given
 * up on (its job failed for good: every attempt spent, or an event the
 * deny-list cannot carry).
 */
export type OutboxState = "pending" | "propagated" | "failed";

/** A revocation on its way from DynamoDB to the deny-list. */
export interface OutboxItem {
  readonly id: string;
  readonly event: RevocationEvent;
  readonly state: OutboxState;
  /** Epoch ms the revocation was accepted. */
  readonly createdAt: number;
  /** Epoch ms it reached the deny-list stream. */
  readonly propagatedAt?: number;
  /** Epoch ms its job failed for good. */
  readonly failedAt?: number;
  /** Why it failed, for `GET /admin/revocations` (an error message, at most 200 characters). */
  readonly reason?: string;
}

/**
 * The revocation outbox: every revocation is written here as `pending`
 * before anything else, and marked `propagated` by the worker once it is on
 * the deny-list. A revocation accepted while Redis is down therefore waits
 * here, in the source of truth, and the sweeper delivers it later.
 */
export interface Outbox {
  add(event: RevocationEvent): Promise<OutboxItem>;
  markPropagated(id: string, at: number): Promise<void>;
  /**
   * Records that the item's job failed for good, and why. An item already
   * propagated stays propagated (a late failure of a duplicate changes nothing).
   */
  markFailed(id: string, at: number, reason: string): Promise<void>;
  /** Every item not propagated: pending (any age) and failed, oldest first, in one read. */
  undelivered(): Promise<OutboxItem[]>;
  /** The latest items, newest first, for `GET /admin/revocations`. */
  recent(limit: number): Promise<OutboxItem[]>;
}

/**
 * Propagated and failed items are kept this long (TTL), pending ones until
 * delivered. A week outlives by far every JWT a failed deny entry could have
 * matched, and leaves an operator time to see the failure.
 */
const PROPAGATED_RETENTION_SECONDS = 7 * 86_400;
/** Longest failure reason stored. */
const MAX_REASON_LENGTH = 200;

const STATES: ReadonlySet<string> = new Set<OutboxState>(["pending", "propagated", "failed"]);

/** Name of the outbox table beside the token table. */
export function outboxTableName(tokenTable: string): string {
  return `${tokenTable}-outbox`;
}

export async function createOutboxTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await enableTtl(client, tableName, "expiresAt");
}

function toItem(raw: Record<string, unknown>): OutboxItem | null {
  const event = typeof raw.event === "string" ? parseRevocationEvent(JSON.parse(raw.event)) : null;
  if (!event || typeof raw.id !== "string" || typeof raw.createdAt !== "number") return null;
  return {
    id: raw.id,
    event,
    state: typeof raw.state === "string" && STATES.has(raw.state) ? (raw.state as OutboxState) : "pending",
    createdAt: raw.createdAt,
    ...(typeof raw.propagatedAt === "number" ? { propagatedAt: raw.propagatedAt } : {}),
    ...(typeof raw.failedAt === "number" ? { failedAt: raw.failedAt } : {}),
    ...(typeof raw.reason === "string" ? { reason: raw.reason } : {}),
  };
}

/**
 * An outbox in DynamoDB. Listing pending items scans the table: the outbox
 * holds only recent revocations (propagated ones expire after a week), so a
 * scan stays small, and it runs from the sweeper every few seconds, never per request.
 */
export function createOutbox(client: DynamoDBClient, tableName: string, now: () => number = Date.now): Outbox {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  async function scanAll(filter?: { expression: string; values: Record<string, unknown> }): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
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
      );
      for (const raw of page.Items ?? []) {
        const item = toItem(raw);
        if (item) items.push(item);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  return {
    async add(event) {
      // Time-ordered, unique, and a valid BullMQ job id: no ':' and not all digits.
      const createdAt = now();
      const id = `rv-${createdAt.toString(36)}-${randomBytes(8).toString("hex")}`;
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { id, event: JSON.stringify(event), state: "pending", createdAt },
          ConditionExpression: "attribute_not_exists(id)",
        }),
      );
      return { id, event, state: "pending", createdAt };
    },

    async markPropagated(id, at) {
      await doc
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: { id },
            UpdateExpression: "SET #state = :propagated, propagatedAt = :at, expiresAt = :expires",
            ConditionExpression: "attribute_exists(id)",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: {
              ":propagated": "propagated",
              ":at": at,
              ":expires": Math.floor(at / 1000) + PROPAGATED_RETENTION_SECONDS,
            },
          }),
        )
        .catch((error: unknown) => {
          // An item already gone (TTL) has nothing left to mark.
          if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        });
    },

    async markFailed(id, at, reason) {
      await doc
        .send(
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
        )
        .catch((error: unknown) => {
          // Gone (TTL) or already propagated: nothing to record.
          if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        });
    },

    async undelivered() {
      const items = await scanAll({ expression: "#state <> :propagated", values: { ":propagated": "propagated" } });
      return items.sort((a, b) => a.createdAt - b.createdAt);
    },

    async recent(limit) {
      const items = await scanAll();
      return items.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
  };
}

/** Items an in-memory outbox keeps. */
const MEMORY_OUTBOX_SIZE = 1000;

/** An outbox in memory, for the embedded default: nothing can be pending there, it only lists recent revocations. */
export function createMemoryOutbox(now: () => number = Date.now): Outbox {
  const items = new Map<string, OutboxItem>();
  let counter = 0;
  return {
    async add(event) {
      const createdAt = now();
      const item: OutboxItem = {
        id: `rv-${createdAt.toString(36)}-${(counter++).toString(36)}`,
        event,
        state: "pending",
        createdAt,
      };
      items.set(item.id, item);
      if (items.size > MEMORY_OUTBOX_SIZE) items.delete(items.keys().next().value as string);
      return item;
    },
    async markPropagated(id, at) {
      const item = items.get(id);
      if (item) items.set(id, { ...item, state: "propagated", propagatedAt: at });
    },
    async markFailed(id, at, reason) {
      const item = items.get(id);
      if (item && item.state !== "propagated")
        items.set(id, { ...item, state: "failed", failedAt: at, reason: reason.slice(0, MAX_REASON_LENGTH) });
    },
    async undelivered() {
      return [...items.values()].filter((i) => i.state !== "propagated");
    },
    async recent(limit) {
      return [...items.values()].reverse().slice(0, limit);
    },
  };
}
