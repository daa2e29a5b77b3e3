import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureTable } from "../dynamo/dynamo-helpers.js";

/**
 * The status table, beside the token table: the source of truth every issuer
 * builds its lists from. One string key `pk`:
 * - `counter`: `next`, the next status index to hand out (indexes are never reused);
 * - `list#<n>`: the list's head, one counter `c<k>` per chunk, bumped after each bit set in it;
 * - `list#<n>#<k>`: chunk k of list n, `bits` the number set of the INVALID offsets in it.
 * A list is rebuilt by reading its head and only the chunks whose counters moved.
 */

/** Indexes per list: a list is the fixed-size group of indexes one `statuslist+jwt` carries. */
export const LIST_SIZE = 1 << 20;
/** Indexes per chunk item: a chunk's number set stays far below DynamoDB's 400 kB item limit. */
export const CHUNK_SIZE = 1 << 14;
/** Chunks per list. */
export const CHUNKS_PER_LIST = LIST_SIZE / CHUNK_SIZE;
/** The largest list number ever served: beyond it is a 404 without a store read. */
export const MAX_LIST_NUMBER = 1_000_000;

export const COUNTER_KEY = "counter";

export function headKey(list: number): string {
  return `list#${list}`;
}

export function chunkKey(list: number, chunk: number): string {
  return `list#${list}#${chunk}`;
}

/** Where a global index lives: its list, the chunk of the list, the offset in the chunk, the index in the list. */
export function locate(index: number): { list: number; chunk: number; offset: number; inList: number } {
  const list = Math.floor(index / LIST_SIZE);
  const inList = index % LIST_SIZE;
  return { list, chunk: Math.floor(inList / CHUNK_SIZE), offset: inList % CHUNK_SIZE, inList };
}

export function statusTableName(tokenTable: string): string {
  return `${tokenTable}-status`;
}

/** Creates the status table if it is missing. */
export async function createStatusTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(client, {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
}
