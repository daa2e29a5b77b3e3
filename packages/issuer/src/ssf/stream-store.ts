import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { conditionHeld, ensureTable } from "../dynamo/dynamo-helpers.js";
import { type LastDelivery, type StreamRecord, toStream } from "./stream-record.js";

/** Index of streams by receiver: a receiver lists its own without reading anyone else's. */
const RECEIVER_INDEX = "receiver-index";

/** Name of the stream table beside the token table. */
export function streamTableName(tokenTable: string): string {
  return `${tokenTable}-ssf-streams`;
}

/** Creates the stream table (partition key `streamId`, {@link RECEIVER_INDEX}). */
export async function createStreamTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(client, {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "streamId", AttributeType: "S" },
      { AttributeName: "receiver", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "streamId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: RECEIVER_INDEX,
        KeySchema: [{ AttributeName: "receiver", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  });
}

/** The streams (SSF 1.0 §8.1.1), in DynamoDB or the embedded store. */
export interface StreamStore {
  /** Stores a new stream; false if the id is taken. */
  create(stream: StreamRecord): Promise<boolean>;
  get(streamId: string): Promise<StreamRecord | null>;
  /** A receiver's streams, oldest first. */
  listByReceiver(receiver: string): Promise<StreamRecord[]>;
  /** Every stream (few: one per receiver and purpose), for fan-out and the admin pages. */
  listAll(): Promise<StreamRecord[]>;
  /** Replaces a stream if it is still at `stream.revision - 1`; false if it changed or is gone. */
  replace(stream: StreamRecord): Promise<boolean>;
  delete(streamId: string): Promise<boolean>;
  /** Notes what the last delivery came to (not a change of the stream: its revision stays). */
  noteDelivery(streamId: string, last: LastDelivery): Promise<void>;
}

function item(stream: StreamRecord): Record<string, unknown> {
  return { ...stream, delivery: { ...stream.delivery }, removedSubjects: [...stream.removedSubjects] };
}

type PageReader = (
  start?: Record<string, unknown>,
) => Promise<{ Items?: unknown[] | undefined; LastEvaluatedKey?: Record<string, unknown> | undefined }>;

/** Every page of a query or scan, as streams, oldest first. */
async function readAll(read: PageReader): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await read(start);
    for (const raw of page.Items ?? []) {
      const stream = toStream(raw as Record<string, unknown>);
      if (stream) out.push(stream);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort((a, b) => a.createdAt - b.createdAt || a.streamId.localeCompare(b.streamId));
}

/** The stream store over `tableName`. */
export function createStreamStore(client: DynamoDBClient, tableName: string): StreamStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const all = (read: PageReader) => readAll(read);
  return {
    create: (stream) =>
      conditionHeld(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: item(stream),
            ConditionExpression: "attribute_not_exists(streamId)",
          }),
        ),
      ),
    async get(streamId) {
      const result = await doc.send(new GetCommand({ TableName: tableName, Key: { streamId }, ConsistentRead: true }));
      return toStream(result.Item);
    },
    listByReceiver: (receiver) =>
      all((start) =>
        doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: RECEIVER_INDEX,
            KeyConditionExpression: "receiver = :r",
            ExpressionAttributeValues: { ":r": receiver },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      ),
    listAll: () =>
      all((start) =>
        doc.send(
          new ScanCommand({
            TableName: tableName,
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      ),
    replace: (stream) =>
      conditionHeld(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: item(stream),
            ConditionExpression: "revision = :seen",
            ExpressionAttributeValues: { ":seen": stream.revision - 1 },
          }),
        ),
      ),
    delete: (streamId) =>
      conditionHeld(() =>
        doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { streamId },
            ConditionExpression: "attribute_exists(streamId)",
          }),
        ),
      ),
    async noteDelivery(streamId, last) {
      await conditionHeld(() =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { streamId },
            UpdateExpression: "SET lastDelivery = :last",
            ConditionExpression: "attribute_exists(streamId)",
            ExpressionAttributeValues: { ":last": { ...last } },
          }),
        ),
      );
    },
  };
}
