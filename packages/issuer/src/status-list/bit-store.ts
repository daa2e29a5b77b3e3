import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CHUNKS_PER_LIST, COUNTER_KEY, chunkKey, headKey, locate } from "./status-table.js";

/** Chunk versions of a list, by chunk number (absent: never written). */
export type ChunkVersions = ReadonlyMap<number, number>;

/**
 * The status bits in DynamoDB: the counter indexes come from, and the INVALID
 * offsets of each chunk. Bits are only ever set (an index, once INVALID, stays
 * so), so readers merge whatever they read and never go back.
 */
export interface BitStore {
  /** A fresh index, never handed out before. */
  allocate(): Promise<number>;
  /** How many indexes were ever handed out. */
  allocated(): Promise<number>;
  /** Sets `index` INVALID: the chunk first, then the head's counter, so a reader that sees the counter sees the bit. */
  invalidate(index: number): Promise<void>;
  /** The chunk versions of list `list`. */
  versions(list: number): Promise<ChunkVersions>;
  /** The INVALID offsets of the given chunks of list `list`, by chunk. */
  chunks(list: number, chunks: readonly number[]): Promise<Map<number, readonly number[]>>;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

function offsets(value: unknown): number[] {
  const items = value instanceof Set ? [...value] : Array.isArray(value) ? value : [];
  return items.map(Number).filter((offset) => Number.isSafeInteger(offset) && offset >= 0);
}

export function createBitStore(doc: DynamoDBDocumentClient, tableName: string): BitStore {
  const get = async (pk: string) =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item;

  return {
    async allocate() {
      const out = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: COUNTER_KEY },
          UpdateExpression: "ADD #next :one",
          ExpressionAttributeNames: { "#next": "next" },
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return numberOr(out.Attributes?.next, 1) - 1;
    },

    async allocated() {
      return numberOr((await get(COUNTER_KEY))?.next, 0);
    },

    async invalidate(index) {
      const { list, chunk, offset } = locate(index);
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: chunkKey(list, chunk) },
          UpdateExpression: "ADD #bits :bit",
          ExpressionAttributeNames: { "#bits": "bits" },
          ExpressionAttributeValues: { ":bit": new Set([offset]) },
        }),
      );
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: headKey(list) },
          UpdateExpression: "ADD #c :one",
          ExpressionAttributeNames: { "#c": `c${chunk}` },
          ExpressionAttributeValues: { ":one": 1 },
        }),
      );
    },

    async versions(list) {
      const head = await get(headKey(list));
      const versions = new Map<number, number>();
      for (let chunk = 0; chunk < CHUNKS_PER_LIST; chunk++) {
        const version = head?.[`c${chunk}`];
        if (version !== undefined) versions.set(chunk, numberOr(version, 0));
      }
      return versions;
    },

    async chunks(list, wanted) {
      const found = new Map<number, readonly number[]>();
      // 100 keys per BatchGet; a list has at most CHUNKS_PER_LIST chunks.
      for (let start = 0; start < wanted.length; start += 100) {
        let keys: Record<string, unknown>[] = wanted.slice(start, start + 100).map((c) => ({ pk: chunkKey(list, c) }));
        for (let attempt = 0; keys.length > 0 && attempt < 10; attempt++) {
          const out = await doc.send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
          );
          for (const item of out.Responses?.[tableName] ?? []) {
            const chunk = Number(String(item.pk).split("#")[2]);
            if (Number.isSafeInteger(chunk)) found.set(chunk, offsets(item.bits));
          }
          keys = (out.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        }
        if (keys.length > 0) throw new Error("status table: chunks left unread after retries");
      }
      return found;
    },
  };
}
