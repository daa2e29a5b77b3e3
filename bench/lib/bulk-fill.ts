// Grows the token table fast for the table-size curve: copies of one real
// token record under new keys, 25 per BatchWriteItem, instead of one
// `register` (several round trips) per PAT. What is measured is a GetItem in a
// table of that size; the copies' contents never matter, only their number.
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { newTokenId } from "@patgate/shared";

/** The table's key and its string index keys: each copy gets fresh values for them. */
async function keysOf(dynamo: DynamoDBClient, table: string): Promise<string[]> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
  const types = new Map((Table?.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const names = [
    ...(Table?.KeySchema ?? []),
    ...(Table?.GlobalSecondaryIndexes ?? []).flatMap((index) => index.KeySchema ?? []),
  ]
    .filter((k) => k.KeyType === "HASH" && types.get(k.AttributeName) === "S")
    .map((k) => k.AttributeName as string);
  return [...new Set(names)];
}

/** Adds `count` copies of a record of `table`, `lanes` batches in flight. */
export async function bulkFill(dynamo: DynamoDBClient, table: string, count: number, lanes = 8): Promise<void> {
  const keys = await keysOf(dynamo, table);
  const { Items } = await dynamo.send(new ScanCommand({ TableName: table, Limit: 1 }));
  const template = Items?.[0];
  if (!template) throw new Error(`bulk fill: ${table} is empty`);
  let left = count;
  async function lane(): Promise<void> {
    while (left > 0) {
      const size = Math.min(25, left);
      left -= size;
      const items = Array.from({ length: size }, () => {
        const item: Record<string, AttributeValue> = { ...template };
        const id = newTokenId();
        for (const key of keys) if (item[key]?.S !== undefined) item[key] = { S: key === keys[0] ? id : `bulk-${id}` };
        return { PutRequest: { Item: item } };
      });
      let unprocessed: typeof items | undefined = items;
      while (unprocessed?.length) {
        const answer = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: unprocessed } }));
        unprocessed = answer.UnprocessedItems?.[table] as typeof items | undefined;
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane));
}
