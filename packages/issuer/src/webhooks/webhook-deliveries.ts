import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { eventPayload, type TokenEvent } from "../events/token-events.js";
import { invalid } from "../tokens/errors.js";
import { ensureTable } from "../tokens/table.js";

/**
 * Index of the deliveries still to make and of those that failed: partition
 * `queue` (`pending` or `failed`; a delivered item has none, so it leaves the
 * index), sort `dueAt` (epoch ms: when a pending one is due, when a failed one
 * failed). Sparse, so finding due work reads only due work.
 */
export const DELIVERY_QUEUE_INDEX = "queue-index";

/** How long a delivered event is kept (TTL), seconds: a week. */
const DELIVERED_RETENTION_SECONDS = 7 * 86_400;
/** How long a failed one is kept, seconds: 30 days, to be looked at and retried. */
const FAILED_RETENTION_SECONDS = 30 * 86_400;
/** Longest error text kept with a delivery. */
const MAX_ERROR_LENGTH = 300;

export type DeliveryState = "pending" | "delivered" | "failed";

/** One event on its way to the webhook receiver. */
export interface WebhookDelivery {
  /** The event id: the `webhook-id` header, the BullMQ job id. */
  readonly id: string;
  readonly type: string;
  /** The exact body POSTed on every attempt: `{"type","timestamp","data"}`. */
  readonly body: string;
  readonly state: DeliveryState;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Epoch ms the event was recorded. */
  readonly createdAt: number;
  /** Pending: when it is next due (epoch ms). Failed: when it failed. */
  readonly dueAt?: number;
  readonly lastAttemptAt?: number;
  /** HTTP status of the last attempt, when the receiver answered. */
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly deliveredAt?: number;
  readonly failedAt?: number;
}

/** What one attempt came to. */
export interface AttemptResult {
  readonly at: number;
  readonly status?: number;
  readonly error?: string;
}

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

/** Name of the delivery table beside the token table. */
export function webhookTableName(tokenTable: string): string {
  return `${tokenTable}-webhooks`;
}

/** Creates the delivery table (partition key `id`, the sparse {@link DELIVERY_QUEUE_INDEX}, TTL on `expiresAt`). */
export async function createWebhookTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(
    client,
    {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "id", AttributeType: "S" },
        { AttributeName: "queue", AttributeType: "S" },
        { AttributeName: "dueAt", AttributeType: "N" },
      ],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: DELIVERY_QUEUE_INDEX,
          KeySchema: [
            { AttributeName: "queue", KeyType: "HASH" },
            { AttributeName: "dueAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    },
    "expiresAt",
  );
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function toDelivery(raw: Record<string, unknown> | undefined): WebhookDelivery | null {
  if (!raw || typeof raw.id !== "string" || typeof raw.body !== "string" || typeof raw.type !== "string") return null;
  const state: DeliveryState = raw.state === "delivered" || raw.state === "failed" ? raw.state : "pending";
  const optional = {
    dueAt: number(raw.dueAt),
    lastAttemptAt: number(raw.lastAttemptAt),
    lastStatus: raw.lastStatus === 0 ? undefined : number(raw.lastStatus),
    lastError: typeof raw.lastError === "string" && raw.lastError !== "" ? raw.lastError : undefined,
    deliveredAt: number(raw.deliveredAt),
    failedAt: number(raw.failedAt),
  };
  return {
    id: raw.id,
    type: raw.type,
    body: raw.body,
    state,
    attempts: number(raw.attempts) ?? 0,
    createdAt: number(raw.createdAt) ?? 0,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify([key.id, key.queue, key.dueAt])).toString("base64url");
}

function decodeCursor(cursor: string, state: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && typeof value[0] === "string" && value[1] === state && typeof value[2] === "number")
      return { id: value[0], queue: value[1], dueAt: value[2] };
  } catch {
    // fall through: not one of our cursors
  }
  throw invalid("cursor", "is not a cursor from a previous page");
}

/** What an attempt leaves on the item: when, the status (0: no answer) and the error ("": none). */
function lastAttempt(result: AttemptResult): { sets: string; values: Record<string, unknown> } {
  return {
    sets: "lastAttemptAt = :at, lastStatus = :status, lastError = :error",
    values: {
      ":at": result.at,
      ":status": result.status ?? 0,
      ":error": (result.error ?? "").slice(0, MAX_ERROR_LENGTH),
    },
  };
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

  /** A conditional update; false when the condition did not hold. */
  async function update(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await doc.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function queryIndex(
    queue: "pending" | "failed",
    options: { limit: number; before?: number; newestFirst: boolean; start?: Record<string, unknown> },
  ): Promise<QueryCommandOutput> {
    return doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: DELIVERY_QUEUE_INDEX,
        KeyConditionExpression: options.before === undefined ? "#q = :q" : "#q = :q AND dueAt <= :before",
        ExpressionAttributeNames: { "#q": "queue" },
        ExpressionAttributeValues: {
          ":q": queue,
          ...(options.before === undefined ? {} : { ":before": options.before }),
        },
        ScanIndexForward: !options.newestFirst,
        Limit: options.limit,
        ...(options.start ? { ExclusiveStartKey: options.start } : {}),
      }),
    );
  }

  return {
    tableName,

    async add(event, dueAt) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              id: event.id,
              type: event.type,
              body: eventPayload(event),
              state: "pending",
              queue: "pending",
              dueAt,
              attempts: 0,
              createdAt: Date.parse(event.timestamp) || dueAt,
            },
            // An id recorded twice (a deterministic expiry event from two workers) is one event.
            ConditionExpression: "attribute_not_exists(id)",
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async get(id) {
      const result = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
      return toDelivery(result.Item);
    },

    async due(now, limit) {
      const result = await queryIndex("pending", { limit, before: now, newestFirst: false });
      return (result.Items ?? []).flatMap((raw) => toDelivery(raw) ?? []);
    },

    async claim(id, seenDueAt, leaseUntil) {
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: tableName,
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
    },

    postpone: (id, seenDueAt, dueAt) =>
      update({
        TableName: tableName,
        Key: { id },
        UpdateExpression: "SET dueAt = :due",
        ConditionExpression: "#q = :pending AND dueAt = :seen",
        ExpressionAttributeNames: { "#q": "queue" },
        ExpressionAttributeValues: { ":due": dueAt, ":seen": seenDueAt, ":pending": "pending" },
      }),

    async delivered(id, attempts, result) {
      const last = lastAttempt(result);
      await update({
        TableName: tableName,
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
    },

    async retryAt(id, attempts, result, dueAt) {
      const last = lastAttempt(result);
      // Only while still pending: a delivery another worker finished is left alone.
      await update({
        TableName: tableName,
        Key: { id },
        UpdateExpression: `SET dueAt = :due, attempts = :attempts, ${last.sets}`,
        ConditionExpression: "#q = :pending",
        ExpressionAttributeNames: { "#q": "queue" },
        ExpressionAttributeValues: { ...last.values, ":due": dueAt, ":attempts": attempts, ":pending": "pending" },
      });
    },

    async failed(id, attempts, result) {
      const last = lastAttempt(result);
      await update({
        TableName: tableName,
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
    },

    requeue: (id, at) =>
      update({
        TableName: tableName,
        Key: { id },
        UpdateExpression:
          "SET #state = :pending, #q = :pending, dueAt = :at, attempts = :zero REMOVE expiresAt, failedAt",
        ConditionExpression: "#q = :failed",
        ExpressionAttributeNames: { "#state": "state", "#q": "queue" },
        ExpressionAttributeValues: { ":pending": "pending", ":failed": "failed", ":at": at, ":zero": 0 },
      }),

    async list({ state, limit, cursor }) {
      const start = cursor === undefined ? undefined : decodeCursor(cursor, state);
      const result = await queryIndex(state, { limit, newestFirst: true, ...(start ? { start } : {}) });
      const items = (result.Items ?? []).flatMap((raw) => toDelivery(raw) ?? []);
      return {
        items,
        ...(result.LastEvaluatedKey ? { nextCursor: encodeCursor(result.LastEvaluatedKey) } : {}),
      };
    },

    async countPending() {
      let count = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: DELIVERY_QUEUE_INDEX,
            KeyConditionExpression: "#q = :q",
            ExpressionAttributeNames: { "#q": "queue" },
            ExpressionAttributeValues: { ":q": "pending" },
            Select: "COUNT",
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return count;
    },
  };
}
