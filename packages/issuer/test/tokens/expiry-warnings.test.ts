import { CreateTableCommand, DescribeTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { FAST_SCRYPT, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { migrateExpiryWarnings } from "../../src/tokens/create-token-table.js";
import {
  dueWarning,
  EXPIRY_WARNING_INDEX,
  expiryWarningAttributes,
  nextWarning,
  warnDayOf,
} from "../../src/tokens/expiry-warnings.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";

const DAY = 86_400;
const NOW = 1_800_000_000;

describe("when expiry warnings fall due", () => {
  it("the first threshold still ahead: a token is warned when its time left crosses 30, 7 and 1 days, then when it expires", () => {
    expect(nextWarning(NOW + 40 * DAY, NOW)).toEqual({ stage: "30d", at: NOW + 10 * DAY });
    expect(nextWarning(NOW + 20 * DAY, NOW)).toEqual({ stage: "7d", at: NOW + 13 * DAY });
    expect(nextWarning(NOW + 5 * DAY, NOW)).toEqual({ stage: "1d", at: NOW + 4 * DAY });
    expect(nextWarning(NOW + 3600, NOW)).toEqual({ stage: "expired", at: NOW + 3600 });
    expect(nextWarning(NOW, NOW)).toBeNull();
    // Exactly 30 days left is crossing it now, not ahead.
    expect(nextWarning(NOW + 30 * DAY, NOW)).toEqual({ stage: "7d", at: NOW + 23 * DAY });
    expect(nextWarning(NOW + 40 * DAY, NOW + 11 * DAY, "30d")).toEqual({ stage: "7d", at: NOW + 33 * DAY });
    expect(nextWarning(NOW + 40 * DAY, NOW + 41 * DAY, "1d")).toBeNull();
  });

  it("after an outage over two thresholds only the nearer warning is sent", () => {
    expect(dueWarning(NOW + 40 * DAY, NOW + 10 * DAY, "30d")).toBe("30d");
    expect(dueWarning(NOW + 40 * DAY, NOW + 34 * DAY, "30d")).toBe("7d");
    expect(dueWarning(NOW + 40 * DAY, NOW + 40 * DAY, "30d")).toBe("expired");
  });

  it("partitions by the UTC day of the warning", () => {
    expect(warnDayOf(Date.UTC(2027, 0, 31, 23, 59, 59) / 1000)).toBe("2027-01-31");
    expect(expiryWarningAttributes(NOW + 40 * DAY, NOW)).toEqual({
      warnAt: NOW + 10 * DAY,
      warnStage: "30d",
      warnDay: warnDayOf(NOW + 10 * DAY),
    });
  });
});

describe("the expiry-warning index", () => {
  it("holds a token from its creation, follows changes of its expiry, and drops it when the expiry is removed", async () => {
    const client = testDynamoClient();
    const tableName = uniqueName("tokens");
    await createTokenTable(client, tableName);
    const now = Date.now();
    const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT, now: () => now });
    const doc = DynamoDBDocumentClient.from(client);
    const raw = async (tokenId: string) =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: { tokenId }, ConsistentRead: true }))).Item ?? {};
    const nowS = Math.floor(now / 1000);

    const { record } = await store.issue({ owner: "idx", expiresAt: nowS + 40 * DAY });
    expect(await raw(record.tokenId)).toMatchObject({ warnAt: nowS + 10 * DAY, warnStage: "30d" });
    const { record: forever } = await store.issue({ owner: "idx" });
    expect((await raw(forever.tokenId)).warnAt).toBeUndefined();

    await store.update(record.tokenId, { expiresAt: nowS + 5 * DAY });
    expect(await raw(record.tokenId)).toMatchObject({ warnAt: nowS + 4 * DAY, warnStage: "1d" });
    // Renaming leaves the warning alone.
    await store.update(record.tokenId, { name: "renamed" });
    expect(await raw(record.tokenId)).toMatchObject({ warnAt: nowS + 4 * DAY, warnStage: "1d" });
    const indexed = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: EXPIRY_WARNING_INDEX,
        KeyConditionExpression: "warnDay = :day",
        ExpressionAttributeValues: { ":day": warnDayOf(nowS + 4 * DAY) },
      }),
    );
    expect(indexed.Items?.map((i) => i.tokenId)).toContain(record.tokenId);

    await store.update(record.tokenId, { expiresAt: null });
    const item = await raw(record.tokenId);
    expect([item.warnAt, item.warnStage, item.warnDay]).toEqual([undefined, undefined, undefined]);
  });

  it("is added to a table made before it, with each expiring token's next warning, once", async () => {
    const client = testDynamoClient();
    const tableName = uniqueName("old-tokens");
    // The table as earlier versions made it: no expiry-warning index.
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
            IndexName: "owner-index",
            KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
    const doc = DynamoDBDocumentClient.from(client);
    const nowS = Math.floor(Date.now() / 1000);
    const old = (id: string, expiresAt?: number) =>
      doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { tokenId: id, owner: "old", createdAt: nowS - DAY, ...(expiresAt ? { expiresAt } : {}) },
        }),
      );
    await old("OLDa00000000000000000", nowS + 20 * DAY);
    await old("OLDb00000000000000000", nowS + 3600);
    await old("OLDc00000000000000000");
    await old("OLDd00000000000000000", nowS - 3600); // already expired: nothing ahead

    const migrated = await migrateExpiryWarnings(client, tableName, nowS);
    expect(migrated.updated).toBe(2);
    // DynamoDB (and DynamoDB Local) add the index; dynalite cannot add one to an existing table,
    // and the scheduler then scans that table for due warnings instead.
    expect(["added", "unsupported"]).toContain(migrated.index);
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(described.Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === EXPIRY_WARNING_INDEX)).toBe(
      migrated.index === "added",
    );
    const get = async (tokenId: string) =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: { tokenId } }))).Item ?? {};
    expect(await get("OLDa00000000000000000")).toMatchObject({ warnStage: "7d", warnAt: nowS + 13 * DAY });
    expect(await get("OLDb00000000000000000")).toMatchObject({ warnStage: "expired", warnAt: nowS + 3600 });
    expect((await get("OLDc00000000000000000")).warnAt).toBeUndefined();
    expect((await get("OLDd00000000000000000")).warnAt).toBeUndefined();
    // createTokenTable on the old table runs the same migration, which has nothing left to do.
    await createTokenTable(client, tableName);
    expect((await migrateExpiryWarnings(client, tableName, nowS)).updated).toBe(0);
  });
});
