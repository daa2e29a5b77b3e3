import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";

import { createOwnerTable, ownerTableName } from "./owner-revisions.js";

/** Name of the global secondary index that lists an owner's tokens without a scan. */
export const OWNER_INDEX = "owner-index";

/**
 * Creates the token table: partition key `tokenId`, GSI `owner-index` on
 * `owner` (projecting everything, so a list by owner needs no second read),
 * on-demand billing, and TTL on `expiresAt`; and the owner table beside it
 * (see `OwnerRevisions`). An existing table is left as it is.
 */
export async function createTokenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "tokenId", AttributeType: "S" },
          { AttributeName: "owner", AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: "tokenId", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: OWNER_INDEX,
            KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await enableTtl(client, tableName, "expiresAt");
  await createOwnerTable(client, ownerTableName(tableName));
}

/** Turns on TTL; emulators that lack the API (dynalite) or a table that already has it are fine. */
export async function enableTtl(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch {
    // dynalite has no UpdateTimeToLive, and DynamoDB refuses to enable TTL twice:
    // neither changes what the table can do, so start-up goes on.
  }
}

/** Resolves when the table answers DescribeTable. */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}
