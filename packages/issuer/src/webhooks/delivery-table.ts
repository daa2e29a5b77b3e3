import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { conditionHeld, ensureTable } from "../dynamo/dynamo-helpers.js";

/**
 * Index of the deliveries still to make and of those that failed: partition
 * `queue` (`pending` or `failed`; a delivered item has none, so it leaves the
 * index), sort `dueAt` (epoch ms: when a pending one is due, when a failed one
 * failed). Sparse, so finding due work reads only due work.
 */
export const DELIVERY_QUEUE_INDEX = "queue-index";

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

/** The delivery table a reader or writer works on. */
export interface DeliveryTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** A conditional update; false when the condition did not hold. */
export async function conditionalUpdate(
  table: DeliveryTable,
  input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">,
): Promise<boolean> {
  return conditionHeld(() => table.doc.send(new UpdateCommand({ TableName: table.tableName, ...input })));
}

/** One page of the sparse queue index: the pending (by due time) or the failed (by failure time). */
export function queryQueue(
  table: DeliveryTable,
  queue: "pending" | "failed",
  options: { limit: number; before?: number; newestFirst: boolean; start?: Record<string, unknown> },
): Promise<QueryCommandOutput> {
  return table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
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

/** How many deliveries are pending: a count over the index, not the table. */
export async function countPending(table: DeliveryTable): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
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
}
