import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../dynamo/dynamo-helpers.js";
import type { SignedSet } from "./set-signer.js";

/** Name of the table of SETs waiting for a receiver (polled, or held by a paused stream). */
export function setQueueTableName(tokenTable: string): string {
  return `${tokenTable}-ssf-queue`;
}

/** How long a SET waits at most, seconds (TTL): 14 days. */
export const QUEUED_RETENTION_SECONDS = 14 * 86_400;
/** How long an acknowledged jti is remembered (so a repeated ack is not "unknown"), seconds: a day. */
const ACK_RETENTION_SECONDS = 86_400;

/** Creates the queue table: partition `streamId`, sort `key` (`set#<jti>` waiting, `ack#<jti>` acknowledged), TTL. */
export async function createSetQueueTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(
    client,
    {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "streamId", AttributeType: "S" },
        { AttributeName: "key", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "streamId", KeyType: "HASH" },
        { AttributeName: "key", KeyType: "RANGE" },
      ],
    },
    "expiresAt",
  );
}

/**
 * SETs waiting per stream: a poll stream's until acknowledged (RFC 8936), a
 * paused push stream's until it is enabled again. Ordered by `jti` (which
 * starts with the time), so the oldest go first.
 */
export interface SetQueue {
  /** Adds a SET unless the stream already holds `max`; false when it was dropped for that. */
  add(streamId: string, set: SignedSet, max: number): Promise<boolean>;
  /** Up to `limit` waiting SETs, oldest first, and whether there are more. */
  peek(streamId: string, limit: number): Promise<{ readonly sets: SignedSet[]; readonly more: boolean }>;
  /** Which of `jtis` this stream was ever given (waiting or acknowledged). */
  known(streamId: string, jtis: readonly string[]): Promise<Set<string>>;
  /** Acknowledges: the SETs leave the queue, their jtis are remembered a day. */
  ack(streamId: string, jtis: readonly string[], nowMs: number): Promise<void>;
  /** Removes waiting SETs (handed to push delivery, or the stream deleted). */
  remove(streamId: string, jtis: readonly string[]): Promise<void>;
  /** How many SETs wait. */
  count(streamId: string): Promise<number>;
}

const SET_PREFIX = "set#";
const ACK_PREFIX = "ack#";

/** The queue table a function works on. */
interface QueueTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

async function countWaiting(table: QueueTable, streamId: string): Promise<number> {
  const { doc, tableName } = table;
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "streamId = :s AND begins_with(#k, :p)",
        ExpressionAttributeNames: { "#k": "key" },
        ExpressionAttributeValues: { ":s": streamId, ":p": SET_PREFIX },
        Select: "COUNT",
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    total += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
}

async function writeBatches(table: QueueTable, requests: Record<string, unknown>[]): Promise<void> {
  const { doc, tableName } = table;
  for (let i = 0; i < requests.length; i += 25) {
    let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
    for (let round = 0; pending && pending.length > 0 && round < 8; round += 1) {
      const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
      pending = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
    }
    if (pending && pending.length > 0) throw new Error("the SET queue did not take every write");
  }
}

async function knownJtis(table: QueueTable, streamId: string, jtis: readonly string[]): Promise<Set<string>> {
  const { doc, tableName } = table;
  const found = new Set<string>();
  const unique = [...new Set(jtis)];
  for (let i = 0; i < unique.length; i += 50) {
    const keys = unique.slice(i, i + 50).flatMap((jti) => [
      { streamId, key: `${SET_PREFIX}${jti}` },
      { streamId, key: `${ACK_PREFIX}${jti}` },
    ]);
    // BatchGet: 100 keys at most per call.
    let request: Record<string, unknown> | undefined = { [tableName]: { Keys: keys, ConsistentRead: true } };
    for (let round = 0; request && Object.keys(request).length > 0 && round < 8; round += 1) {
      const result = await doc.send(new BatchGetCommand({ RequestItems: request as never }));
      for (const raw of result.Responses?.[tableName] ?? []) {
        const key = String(raw.key);
        found.add(key.slice(key.indexOf("#") + 1));
      }
      request = result.UnprocessedKeys as Record<string, unknown> | undefined;
    }
  }
  return found;
}

export function createSetQueue(client: DynamoDBClient, tableName: string): SetQueue {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const table: QueueTable = { doc, tableName };
  const count = (streamId: string) => countWaiting(table, streamId);
  const batch = (requests: Record<string, unknown>[]) => writeBatches(table, requests);

  return {
    async add(streamId, set, max) {
      // Counted before the write: two writers at the bound may pass it by one each, which is harmless.
      if ((await count(streamId)) >= max) return false;
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            streamId,
            key: `${SET_PREFIX}${set.jti}`,
            set: set.set,
            at: set.at,
            expiresAt: Math.floor(set.at / 1000) + QUEUED_RETENTION_SECONDS,
          },
        }),
      );
      return true;
    },
    async peek(streamId, limit) {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "streamId = :s AND begins_with(#k, :p)",
          ExpressionAttributeNames: { "#k": "key" },
          ExpressionAttributeValues: { ":s": streamId, ":p": SET_PREFIX },
          ConsistentRead: true,
          Limit: limit + 1,
        }),
      );
      const items = (page.Items ?? []).flatMap((raw) =>
        typeof raw.key === "string" && typeof raw.set === "string"
          ? [{ jti: raw.key.slice(SET_PREFIX.length), set: raw.set, at: typeof raw.at === "number" ? raw.at : 0 }]
          : [],
      );
      return { sets: items.slice(0, limit), more: items.length > limit };
    },
    known: (streamId, jtis) => knownJtis(table, streamId, jtis),
    async ack(streamId, jtis, nowMs) {
      const expiresAt = Math.floor(nowMs / 1000) + ACK_RETENTION_SECONDS;
      await batch(
        [...new Set(jtis)].flatMap((jti) => [
          { PutRequest: { Item: { streamId, key: `${ACK_PREFIX}${jti}`, expiresAt } } },
          { DeleteRequest: { Key: { streamId, key: `${SET_PREFIX}${jti}` } } },
        ]),
      );
    },
    async remove(streamId, jtis) {
      await batch(
        [...new Set(jtis)].map((jti) => ({ DeleteRequest: { Key: { streamId, key: `${SET_PREFIX}${jti}` } } })),
      );
    },
    count,
  };
}
