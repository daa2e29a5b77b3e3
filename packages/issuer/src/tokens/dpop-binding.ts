import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { notFound, StoreUnavailableError } from "./errors.js";
import { itemToStored } from "./record.js";
import type { TokenTable } from "./token-table.js";
import { unavailable } from "./token-table.js";
import type { DpopBinding } from "./types.js";
import { checkDpopJkt, checkTokenId } from "./validation.js";

/**
 * Binds a PAT created with `dpopBindOnFirstUse` to the key of its first
 * exchange: one conditional UpdateItem (still waiting, no key yet), so of
 * racing first exchanges with different keys exactly one write lands; every
 * other gets the record as the winner left it. The revision moves on like any
 * change, so no write computed from the unbound record lands after it.
 */
export async function bindDpopKey(table: TokenTable, tokenId: string, jkt: string): Promise<DpopBinding> {
  const { doc, tableName, nowSeconds, load } = table;
  checkTokenId(tokenId);
  checkDpopJkt(jkt);
  try {
    const result = await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tokenId },
        UpdateExpression:
          "SET dpopJkt = :jkt, updatedAt = :at, #rev = if_not_exists(#rev, :zero) + :one REMOVE dpopFirstUse",
        ConditionExpression: "attribute_exists(tokenId) AND dpopFirstUse = :true AND attribute_not_exists(dpopJkt)",
        ExpressionAttributeNames: { "#rev": "rev" },
        ExpressionAttributeValues: { ":jkt": jkt, ":at": nowSeconds(), ":zero": 0, ":one": 1, ":true": true },
        ReturnValues: "ALL_NEW",
      }),
    );
    const stored = itemToStored(result.Attributes);
    if (!stored) throw new StoreUnavailableError(`token ${tokenId} is stored in an unreadable form`);
    return { won: true, record: stored.record };
  } catch (error) {
    if (!isConditionFailure(error)) unavailable(error);
  }
  const current = await load(tokenId);
  if (!current) throw notFound(tokenId);
  return { won: false, record: current.record };
}
