import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { conditionHeld, ensureTable } from "../dynamo/dynamo-helpers.js";

/**
 * The revision of each owner, bumped by every owner revocation. A PAT records
 * the owner's revision when it is created (or restored, or moved to another
 * owner); a PAT whose recorded revision is below its owner's was revoked with
 * the owner, even if the owner-index listing (eventually consistent) never
 * returned it. A JWT carries the revision as `sub_rev`, so a "deny below N"
 * mark on the owner catches JWTs whose exchange read the owner before.
 */
export interface OwnerRevisions {
  /** The owner's current revision (0 for an owner never revoked), read consistently. */
  get(owner: string): Promise<number>;
  /**
   * Sets the owner's revision to `expected + 1` if it is still `expected`;
   * false when another revocation got there first (read again and retry).
   */
  advance(owner: string, expected: number, atMs: number): Promise<boolean>;
}

/** Name of the owner table beside the token table. */
export function ownerTableName(tokenTable: string): string {
  return `${tokenTable}-owners`;
}

/** Creates the owner table (partition key `owner`) if missing. */
export async function createOwnerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(client, {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "owner", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
  });
}

/** A stored revision, or 0 when absent or malformed. */
export function revisionOf(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export function createOwnerRevisions(client: DynamoDBClient, tableName: string): OwnerRevisions {
  const doc = DynamoDBDocumentClient.from(client);
  return {
    async get(owner) {
      const result = await doc.send(new GetCommand({ TableName: tableName, Key: { owner }, ConsistentRead: true }));
      return revisionOf(result.Item?.rev);
    },
    advance: (owner, expected, atMs) =>
      conditionHeld(() =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { owner },
            UpdateExpression: "SET rev = :next, revokedAt = :at",
            ConditionExpression: expected === 0 ? "attribute_not_exists(rev) OR rev = :expected" : "rev = :expected",
            ExpressionAttributeValues: { ":next": expected + 1, ":expected": expected, ":at": Math.floor(atMs / 1000) },
          }),
        ),
      ),
  };
}
