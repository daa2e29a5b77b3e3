import { createHash, randomBytes } from "node:crypto";
import { DescribeTableCommand, type DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { parseRevocationEvent, type RevocationEvent } from "@patgate/shared";
import { ensureTable } from "../tokens/table.js";

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
  /**
   * Records `event` as pending. A `jti` denial is recorded once per `jti`: asked
   * again, the outbox returns the item it already holds (pending or
   * propagated), so repeating a revocation adds nothing.
   */
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

/** Propagated items that are not deny entries are kept this long (TTL). */
const PROPAGATED_RETENTION_SECONDS = 7 * 86_400;
/**
 * A deny entry's item is kept this long after the entry itself expires (TTL),
 * pending or not: past its expiry it denies nothing, and the listing of recent
 * revocations has had a day to show it.
 */
const DENY_RETENTION_AFTER_EXPIRY_SECONDS = 86_400;

/**
 * Sparse index of the items not delivered: only a pending or failed item
 * carries its hash key, so the sweeper reads those and nothing else, however
 * many propagated ones the table keeps.
 */
export const PENDING_INDEX = "pending-index";
/** The index's hash key: present (always the same value) until an item is propagated. */
const PENDING_KEY = "pendingKey";
const PENDING_VALUE = "pending";
/** Longest failure reason stored. */
const MAX_REASON_LENGTH = 200;

const STATES: ReadonlySet<string> = new Set<OutboxState>(["pending", "propagated", "failed"]);

/** Name of the outbox table beside the token table. */
export function outboxTableName(tokenTable: string): string {
  return `${tokenTable}-outbox`;
}

/**
 * The id of a `jti` denial: derived from the `jti`, so the same JWT revoked
 * twice (by two requests, two issuers) is one item, not two. Hashed: a `jti`
 * is the JWT's own text and may hold anything; a BullMQ job id must not
 * contain ':' nor be all digits.
 */
export function jtiOutboxId(jti: string): string {
  return `rv-jti-${createHash("sha256").update(jti).digest("base64url")}`;
}

function idFor(event: RevocationEvent, createdAt: number): string {
  if (event.type === "deny" && event.entry.kind === "jti") return jtiOutboxId(event.entry.value);
  // Time-ordered, unique, and a valid BullMQ job id: no ':' and not all digits.
  return `rv-${createdAt.toString(36)}-${randomBytes(8).toString("hex")}`;
}

const PENDING_INDEX_SPEC = {
  IndexName: PENDING_INDEX,
  KeySchema: [
    { AttributeName: PENDING_KEY, KeyType: "HASH" as const },
    { AttributeName: "createdAt", KeyType: "RANGE" as const },
  ],
  Projection: { ProjectionType: "ALL" as const },
};
const ATTRIBUTES = [
  { AttributeName: "id", AttributeType: "S" as const },
  { AttributeName: PENDING_KEY, AttributeType: "S" as const },
  { AttributeName: "createdAt", AttributeType: "N" as const },
];

/**
 * Creates the outbox table with its sparse `pending-index`; on a table made
 * before the index existed, adds the index (DynamoDB and DynamoDB Local can;
 * dynalite cannot, and its outbox keeps being scanned) and marks the items
 * still pending, so the index lists them.
 */
export async function createOutboxTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(
    client,
    {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: ATTRIBUTES,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [PENDING_INDEX_SPEC],
    },
    "expiresAt",
  );
  if (await addPendingIndex(client, tableName)) await markPendingItems(client, tableName);
}

/** True once the table has an active `pending-index`, adding it if it is missing. */
async function addPendingIndex(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const status = async () =>
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes?.find(
      (index) => index.IndexName === PENDING_INDEX,
    )?.IndexStatus;
  if ((await status()) === "ACTIVE") return true;
  await client
    .send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: ATTRIBUTES.filter((a) => a.AttributeName !== "id"),
        GlobalSecondaryIndexUpdates: [{ Create: PENDING_INDEX_SPEC }],
      }),
    )
    // Already being added by another process, or an emulator that cannot add an index: the status says which.
    .catch(() => {});
  // DynamoDB backfills a new index of a table this size within minutes.
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const current = await status();
    if (current === "ACTIVE") return true;
    if (current === undefined) return false;
    if (Date.now() > deadline) throw new Error(`${PENDING_INDEX} of ${tableName} did not become active`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Gives the index key to pending items written before the index existed. Runs when tables are created. */
async function markPendingItems(client: DynamoDBClient, tableName: string): Promise<void> {
  const doc = DynamoDBDocumentClient.from(client);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "#state = :pending AND attribute_not_exists(#key)",
        ExpressionAttributeNames: { "#state": "state", "#key": PENDING_KEY },
        ExpressionAttributeValues: { ":pending": "pending" },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      await doc
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: { id: item.id },
            UpdateExpression: "SET #key = :key",
            ConditionExpression: "#state = :pending",
            ExpressionAttributeNames: { "#state": "state", "#key": PENDING_KEY },
            ExpressionAttributeValues: { ":pending": "pending", ":key": PENDING_VALUE },
          }),
        )
        .catch((error: unknown) => {
          // Propagated meanwhile: nothing to mark.
          if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        });
    }
    start = page.LastEvaluatedKey;
  } while (start);
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

/** An index the table lacks: an outbox table made before `pending-index`, on an emulator that cannot add it. */
function isMissingIndex(error: unknown): boolean {
  return error instanceof Error && error.name === "ValidationException" && /index/i.test(error.message);
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

  async function readAll(
    read: (start: Record<string, unknown> | undefined) => Promise<{
      Items?: Record<string, unknown>[];
      LastEvaluatedKey?: Record<string, unknown>;
    }>,
  ): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await read(start);
      for (const raw of page.Items ?? []) {
        const item = toItem(raw);
        if (item) items.push(item);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  const scanAll = (filter?: { expression: string; values: Record<string, unknown> }) =>
    readAll((start) =>
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

  const queryUndelivered = () =>
    readAll((start) =>
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

  return {
    async add(event) {
      const createdAt = now();
      const id = idFor(event, createdAt);
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
              ...(event.type === "deny"
                ? { expiresAt: event.entry.expiresAt + DENY_RETENTION_AFTER_EXPIRY_SECONDS }
                : {}),
            },
            ConditionExpression: "attribute_not_exists(id)",
          }),
        );
      } catch (error) {
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        // The same jti, recorded before: one item for both.
        const existing = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
        const item = existing.Item ? toItem(existing.Item) : null;
        if (item) return item;
        throw error;
      }
      return { id, event, state: "pending", createdAt };
    },

    async markPropagated(id, at) {
      await doc
        .send(
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
      if (!indexMissing) {
        try {
          return (await queryUndelivered()).sort((x, y) => x.createdAt - y.createdAt);
        } catch (error) {
          if (!isMissingIndex(error)) throw error;
          indexMissing = true;
        }
      }
      // A table made before the index, on an emulator that could not add it: scanned, as it used to be.
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
      const jti = event.type === "deny" && event.entry.kind === "jti" ? jtiOutboxId(event.entry.value) : undefined;
      const existing = jti === undefined ? undefined : items.get(jti);
      if (existing) return existing;
      const item: OutboxItem = {
        id: jti ?? `rv-${createdAt.toString(36)}-${(counter++).toString(36)}`,
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
