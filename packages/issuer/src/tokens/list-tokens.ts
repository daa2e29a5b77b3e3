import {
  BatchGetCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { isTokenId } from "@patgate/shared";
import { OWNER_INDEX } from "./create-token-table.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { invalid, StoreUnavailableError } from "./errors.js";
import { itemToStored, type TokenItem } from "./record.js";
import type { TokenTable } from "./token-table.js";
import type { BatchLoadResult, ListOptions, ListPage, TokenRecord } from "./types.js";
import { checkListOptions } from "./validation.js";

const BATCH_GET_SIZE = 100;
const BATCH_GET_ATTEMPTS = 5;

/** The filter expression of a listing, with the names and values it uses. */
function listFilters(checked: ReturnType<typeof checkListOptions>, nowSeconds: number) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const filters: string[] = [];
  if (checked.hasRole !== undefined) {
    names["#roles"] = "roles";
    values[":role"] = checked.hasRole;
    filters.push("contains(#roles, :role)");
  }
  if (!checked.includeRevoked) {
    filters.push("(attribute_not_exists(isRevoked) OR isRevoked = :false) AND attribute_not_exists(revokedAt)");
    values[":false"] = false;
  }
  if (!checked.includeExpired) {
    values[":nowS"] = nowSeconds;
    filters.push("(attribute_not_exists(expiresAt) OR expiresAt > :nowS)");
  }
  return { names, values, filters };
}

/** A page of tokens (`owner-index` Query for one owner, else a Scan), filters applied before the page is cut. */
export async function listTokens(table: TokenTable, options?: ListOptions): Promise<ListPage> {
  const { doc, tableName, send, nowSeconds } = table;
  const checked = checkListOptions(options);
  const start = checked.cursor === undefined ? undefined : decodeCursor(checked.cursor);
  if (start && (start.owner !== undefined) !== (checked.owner !== undefined)) {
    throw invalid("cursor", "belongs to a different listing");
  }

  const { names, values, filters } = listFilters(checked, nowSeconds());
  const items: TokenRecord[] = [];
  let exclusiveStart: Record<string, unknown> | undefined = start ? { ...start } : undefined;
  let more = false;
  // Filters apply after DynamoDB's Limit, so keep reading until the page is
  // full or the table is exhausted: pages never come back short while more
  // matching items exist.
  do {
    const base = {
      TableName: tableName,
      Limit: Math.max(checked.limit - items.length, 25),
      ...(exclusiveStart ? { ExclusiveStartKey: exclusiveStart } : {}),
      ...(filters.length ? { FilterExpression: filters.join(" AND ") } : {}),
    };
    let result: { Items?: TokenItem[] | undefined; LastEvaluatedKey?: Record<string, unknown> | undefined };
    if (checked.owner !== undefined) {
      const input: QueryCommandInput = {
        ...base,
        IndexName: OWNER_INDEX,
        KeyConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { ...names, "#owner": "owner" },
        ExpressionAttributeValues: { ...values, ":owner": checked.owner },
      };
      result = await send(() => doc.send(new QueryCommand(input)));
    } else {
      const input: ScanCommandInput = {
        ...base,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      };
      result = await send(() => doc.send(new ScanCommand(input)));
    }
    const page = result.Items ?? [];
    for (let i = 0; i < page.length; i++) {
      const stored = itemToStored(page[i]);
      if (!stored) continue; // corrupt or foreign items are skipped, never fatal
      if (items.length === checked.limit) {
        more = true;
        break;
      }
      items.push(stored.record);
    }
    exclusiveStart = result.LastEvaluatedKey;
    if (items.length === checked.limit && exclusiveStart) more = true;
  } while (!more && exclusiveStart && items.length < checked.limit);

  const last = items.at(-1);
  return {
    items,
    ...(more && last
      ? {
          nextCursor: encodeCursor({
            tokenId: last.tokenId,
            ...(checked.owner !== undefined ? { owner: last.owner } : {}),
          }),
        }
      : {}),
  };
}

/** Loads many tokens by id (100 per BatchGet, unprocessed keys retried). */
export async function batchLoadTokens(table: TokenTable, tokenIds: Iterable<string>): Promise<BatchLoadResult> {
  const { doc, tableName, send } = table;
  const wanted = [...new Set(tokenIds)];
  const found: TokenRecord[] = [];
  const missing: string[] = wanted.filter((id) => !isTokenId(id));
  const valid: string[] = wanted.filter((id) => isTokenId(id));
  for (let i = 0; i < valid.length; i += BATCH_GET_SIZE) {
    let keys = valid.slice(i, i + BATCH_GET_SIZE).map((tokenId) => ({ tokenId }));
    const seen = new Set<string>();
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt === BATCH_GET_ATTEMPTS)
        throw new StoreUnavailableError("token store kept returning unprocessed keys");
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const result = await send(() =>
        doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } })),
      );
      for (const item of result.Responses?.[tableName] ?? []) {
        const stored = itemToStored(item);
        if (stored) {
          found.push(stored.record);
          seen.add(stored.record.tokenId);
        }
      }
      keys = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as { tokenId: string }[];
    }
    for (const id of valid.slice(i, i + BATCH_GET_SIZE)) if (!seen.has(id)) missing.push(id);
  }
  return { found, notFound: missing };
}
