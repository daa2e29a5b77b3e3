import { DescribeTableCommand, type DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable, isConditionFailure } from "../dynamo/dynamo-helpers.js";

/** The outbox table: its name, its sparse index of undelivered items, and creating both. */

/**
 * Sparse index of the items not delivered: only a pending or failed item
 * carries its hash key, so the sweeper reads those and nothing else, however
 * many propagated ones the table keeps.
 */
export const PENDING_INDEX = "pending-index";
/** The index's hash key: present (always the same value) until an item is propagated. */
export const PENDING_KEY = "pendingKey";
export const PENDING_VALUE = "pending";

/** Name of the outbox table beside the token table. */
export function outboxTableName(tokenTable: string): string {
  return `${tokenTable}-outbox`;
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
          if (!isConditionFailure(error)) throw error;
        });
    }
    start = page.LastEvaluatedKey;
  } while (start);
}
