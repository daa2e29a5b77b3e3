import {
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { conditionHeld, enableTtl, ensureTable } from "../dynamo/dynamo-helpers.js";
import { EXPIRY_WARNING_INDEX, expiryWarningAttributes } from "./expiry-warnings.js";
import { createOwnerTable, ownerTableName } from "./owner-revisions.js";

/** Name of the global secondary index that lists an owner's tokens without a scan. */
export const OWNER_INDEX = "owner-index";

/**
 * The sparse index of the next expiry warning (see `expiry-warnings.ts`):
 * partition `warnDay`, sort `warnAt`, keys only (the scheduler reads each due
 * token again, consistently, before it acts).
 */
const EXPIRY_WARNING_GSI: GlobalSecondaryIndex = {
  IndexName: EXPIRY_WARNING_INDEX,
  KeySchema: [
    { AttributeName: "warnDay", KeyType: "HASH" },
    { AttributeName: "warnAt", KeyType: "RANGE" },
  ],
  Projection: { ProjectionType: "KEYS_ONLY" },
};

/**
 * Creates the token table: partition key `tokenId`, GSI `owner-index` on
 * `owner` (projecting everything, so a list by owner needs no second read),
 * GSI `expiry-warning-index` (the tokens with an expiry warning to come),
 * on-demand billing, and TTL on `expiresAt`; and the owner table beside it
 * (see `OwnerRevisions`). An existing table is left as it is, except that a
 * table made before expiry warnings gets their index (see `migrateExpiryWarnings`).
 */
export async function createTokenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const created = await ensureTable(client, {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "tokenId", AttributeType: "S" },
      { AttributeName: "owner", AttributeType: "S" },
      { AttributeName: "warnDay", AttributeType: "S" },
      { AttributeName: "warnAt", AttributeType: "N" },
    ],
    KeySchema: [{ AttributeName: "tokenId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: OWNER_INDEX,
        KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
      },
      EXPIRY_WARNING_GSI,
    ],
  });
  if (!created) await migrateExpiryWarnings(client, tableName);
  await enableTtl(client, tableName, "expiresAt");
  await createOwnerTable(client, ownerTableName(tableName));
}

/** What `migrateExpiryWarnings` found or did to the expiry-warning index. */
export type ExpiryIndexState = "present" | "added" | "unsupported";

/** True when the token table has the expiry-warning index (tables made before it may not). */
export async function hasExpiryWarningIndex(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return table.Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === EXPIRY_WARNING_INDEX) ?? false;
}

/**
 * Gives every token with an expiry and no warning its next warning; returns
 * how many were written. A paged Scan of the whole table: it runs while the
 * index is missing, never on a schedule.
 */
async function writeMissingWarnings(client: DynamoDBClient, tableName: string, nowSeconds: number): Promise<number> {
  const doc = DynamoDBDocumentClient.from(client);
  let updated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: "tokenId, expiresAt",
        FilterExpression: "attribute_exists(expiresAt) AND attribute_not_exists(warnAt)",
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const expiresAt = item.expiresAt;
      if (typeof item.tokenId !== "string" || typeof expiresAt !== "number") continue;
      const warning = expiryWarningAttributes(expiresAt, nowSeconds);
      if (!warning) continue;
      const written = await conditionHeld(() =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { tokenId: item.tokenId },
            UpdateExpression: "SET warnAt = :at, warnStage = :stage, warnDay = :day",
            // Not over a change made meanwhile (which wrote its own warning).
            ConditionExpression: "expiresAt = :exp AND attribute_not_exists(warnAt)",
            ExpressionAttributeValues: {
              ":at": warning.warnAt,
              ":stage": warning.warnStage,
              ":day": warning.warnDay,
              ":exp": expiresAt,
            },
          }),
        ),
      );
      if (written) updated += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return updated;
}

/**
 * Brings a token table made before expiry warnings up to date: every token
 * that expires gets its next warning (from now: thresholds already crossed
 * are not sent late), then the index is added. In that order, so an
 * interrupted run is simply run again (the index is still missing) and the
 * index never lacks a token. Run it once every issuer runs this version (an
 * older one writes tokens without the attributes); `patgate table create`
 * does, and so does every start on the embedded store or an emulator.
 *
 * dynalite (the embedded store) cannot add an index to an existing table:
 * there the attributes are written and `unsupported` is returned, and the
 * scheduler finds due warnings with a filtered Scan of that (small, local)
 * table instead of the index.
 */
export async function migrateExpiryWarnings(
  client: DynamoDBClient,
  tableName: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<{ readonly index: ExpiryIndexState; readonly updated: number }> {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (table.Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === EXPIRY_WARNING_INDEX))
    return { index: "present", updated: 0 };

  const updated = await writeMissingWarnings(client, tableName, nowSeconds);

  // A provisioned table's new index needs capacity of its own; an on-demand one must have none.
  const provisioned = table.Table?.BillingModeSummary?.BillingMode !== "PAY_PER_REQUEST";
  const throughput = table.Table?.ProvisionedThroughput;
  try {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: "warnDay", AttributeType: "S" },
          { AttributeName: "warnAt", AttributeType: "N" },
        ],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              ...EXPIRY_WARNING_GSI,
              ...(provisioned
                ? {
                    ProvisionedThroughput: {
                      ReadCapacityUnits: throughput?.ReadCapacityUnits || 1,
                      WriteCapacityUnits: throughput?.WriteCapacityUnits || 1,
                    },
                  }
                : {}),
            },
          },
        ],
      }),
    );
  } catch (error) {
    // dynalite refuses an on-demand index (it wants capacity) and has no index creation at all.
    if ((error as Error).name === "ValidationException") return { index: "unsupported", updated };
    throw error;
  }
  if (!(await hasExpiryWarningIndex(client, tableName))) return { index: "unsupported", updated };
  await waitForIndex(client, tableName, EXPIRY_WARNING_INDEX);
  return { index: "added", updated };
}

/** Waits (up to 15 minutes: DynamoDB fills a new index from the table first) until an index is ACTIVE. */
async function waitForIndex(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = table.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === indexName);
    if (!index || index.IndexStatus === "ACTIVE" || index.IndexStatus === undefined) return;
    if (Date.now() > deadline) throw new Error(`index ${indexName} of ${tableName} is still ${index.IndexStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
