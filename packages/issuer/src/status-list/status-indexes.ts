import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import type { TokenRecord } from "../tokens/types.js";
import type { BitStore } from "./bit-store.js";

/** Assignments remembered for records read before they had an index (bounded; cleared when full). */
const MAX_REMEMBERED = 10_000;

/**
 * The status index of each PAT revision. A token gets one at creation (the
 * store's `allocateStatusIndex`); a token from before the status list gets one
 * at its first exchange. Every change that denies earlier JWTs calls
 * {@link StatusIndexes.replace} before its write: the old index is set INVALID
 * in DynamoDB, and the write gives the record a fresh one. The bit is set
 * before the write, so once the change has answered no JWT of the old state
 * carries a VALID index, whether Redis is up or not.
 */
export interface StatusIndexes {
  readonly bits: BitStore;
  /** The index JWTs minted from `record` carry: synchronous when the record has one. */
  assigned(record: TokenRecord): number | Promise<number>;
  /** Sets `record`'s index INVALID and returns a fresh one for the revision the change writes. */
  replace(record: TokenRecord): Promise<number>;
  /** Sets `record`'s index INVALID (an owner revocation: the PAT's later state is revoked too). */
  deny(record: TokenRecord): Promise<void>;
}

export function createStatusIndexes(doc: DynamoDBDocumentClient, tokenTable: string, bits: BitStore): StatusIndexes {
  const remembered = new Map<string, Promise<number>>();

  /**
   * Gives a record without an index one, if it is still at the revision read.
   * A record that moved on meanwhile may have been restricted: the JWT minted
   * from the old read gets an index that is INVALID at once.
   */
  async function assignLate(record: TokenRecord): Promise<number> {
    const index = await bits.allocate();
    const rev = record.revision === 0 ? "(attribute_not_exists(#rev) OR #rev = :rev)" : "#rev = :rev";
    try {
      const out = await doc.send(
        new UpdateCommand({
          TableName: tokenTable,
          Key: { tokenId: record.tokenId },
          UpdateExpression: "SET #idx = if_not_exists(#idx, :idx)",
          ConditionExpression: `attribute_exists(tokenId) AND ${rev}`,
          ExpressionAttributeNames: { "#idx": "statusIdx", "#rev": "rev" },
          ExpressionAttributeValues: { ":idx": index, ":rev": record.revision },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const stored = out.Attributes?.statusIdx;
      return typeof stored === "number" ? stored : index;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await bits.invalidate(index);
      return index;
    }
  }

  function assigned(record: TokenRecord): number | Promise<number> {
    if (record.statusIdx !== undefined) return record.statusIdx;
    const key = `${record.tokenId}:${record.revision}`;
    let pending = remembered.get(key);
    if (!pending) {
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      pending = assignLate(record);
      remembered.set(key, pending);
      pending.catch(() => remembered.delete(key));
    }
    return pending;
  }

  async function deny(record: TokenRecord): Promise<void> {
    await bits.invalidate(await assigned(record));
  }

  return {
    bits,
    assigned,
    deny,
    async replace(record) {
      await deny(record);
      return bits.allocate();
    },
  };
}
