import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { backOff, notFound, RevisionConflictError, StoreUnavailableError, TokenStoreError } from "./errors.js";
import { type OwnerRevisions, revisionOf } from "./owner-revisions.js";
import { itemToStored, type StoredToken } from "./record.js";
import type { TokenRecord, WriteOptions } from "./types.js";
import { checkTokenId } from "./validation.js";

/** Attempts of a conditional write that keeps meeting concurrent changes. */
const WRITE_ATTEMPTS = 20;

/** Names SDK errors that mean "the store is not serving", as opposed to a bug in our request. */
export function unavailable(error: unknown): never {
  if (error instanceof TokenStoreError || error instanceof StoreUnavailableError) throw error;
  const name = error instanceof Error ? error.name : "";
  // A ValidationException is a malformed request: our bug, not an outage; let it surface.
  if (name === "ValidationException") throw error;
  throw new StoreUnavailableError(`token store unavailable: ${name || "unknown error"}`, { cause: error });
}

/**
 * The update expression of a change computed from the record at `expected`:
 * sets and removes the attributes, bumps the revision, only if the record is
 * still there at that revision. Names are all aliased, so any attribute
 * (reserved word or not) can be set or removed.
 */
function revisionUpdate(expected: number, set: Record<string, unknown>, remove: readonly string[]) {
  const names: Record<string, string> = { "#rev": "rev" };
  const values: Record<string, unknown> = { ":next": expected + 1, ":expected": expected };
  const assignments = ["#rev = :next"];
  Object.entries(set).forEach(([attribute, value], i) => {
    names[`#s${i}`] = attribute;
    values[`:s${i}`] = value;
    assignments.push(`#s${i} = :s${i}`);
  });
  const removals = remove.map((attribute, i) => {
    names[`#r${i}`] = attribute;
    return `#r${i}`;
  });
  const revision = expected === 0 ? "(attribute_not_exists(#rev) OR #rev = :expected)" : "#rev = :expected";
  return {
    UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
    ConditionExpression: `attribute_exists(tokenId) AND ${revision}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Runs an SDK call, mapping an outage to {@link StoreUnavailableError}. */
async function send<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    return unavailable(error);
  }
}

/**
 * Reads the record, computes a change from it and writes it conditionally.
 * With `expectedRevision` one attempt (the caller recorded something for that
 * revision and retries itself); without, a few attempts from fresh reads.
 */
async function changeFromFreshReads<T>(
  load: (tokenId: string) => Promise<StoredToken | null>,
  tokenId: string,
  options: WriteOptions | undefined,
  apply: (record: TokenRecord) => Promise<T>,
): Promise<T> {
  checkTokenId(tokenId);
  const attempts = options?.expectedRevision === undefined ? WRITE_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const current = await load(tokenId);
    if (!current) throw notFound(tokenId);
    if (options?.expectedRevision !== undefined && current.record.revision !== options.expectedRevision)
      throw new RevisionConflictError(tokenId);
    try {
      return await apply(current.record);
    } catch (error) {
      if (!(error instanceof RevisionConflictError) || attempt >= attempts) throw error;
    }
    await backOff(attempt);
  }
}

/**
 * The token table as the store's modules use it: consistent reads, the read
 * after a secret check, and writes conditional on the revision they were
 * computed from. Every SDK error comes out as a store error.
 */
export interface TokenTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly owners: OwnerRevisions;
  readonly nowSeconds: () => number;
  /** Runs an SDK call, mapping an outage to {@link StoreUnavailableError}. */
  send<T>(operation: () => Promise<T>): Promise<T>;
  load(tokenId: string): Promise<StoredToken | null>;
  /** The token and its owner's current revision, read consistently in one BatchGet. */
  stateAfterCheck(tokenId: string, owner: string): Promise<(StoredToken & { readonly ownerRevision: number }) | null>;
  writeRevision(
    tokenId: string,
    expected: number,
    set: Record<string, unknown>,
    remove?: readonly string[],
  ): Promise<TokenRecord>;
  change<T>(tokenId: string, options: WriteOptions | undefined, apply: (record: TokenRecord) => Promise<T>): Promise<T>;
}

export function openTokenTable(parts: {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly ownersTable: string;
  readonly owners: OwnerRevisions;
  readonly nowSeconds: () => number;
}): TokenTable {
  const { doc, tableName, ownersTable, owners } = parts;

  async function load(tokenId: string) {
    const result = await send(() =>
      doc.send(new GetCommand({ TableName: tableName, Key: { tokenId }, ConsistentRead: true })),
    );
    return itemToStored(result.Item);
  }

  /** The token and its owner's current revision, read consistently in one BatchGet. */
  async function stateAfterCheck(tokenId: string, owner: string) {
    const result = await send(() =>
      doc.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: [{ tokenId }], ConsistentRead: true },
            [ownersTable]: { Keys: [{ owner }], ConsistentRead: true },
          },
        }),
      ),
    );
    const unprocessed = Object.keys(result.UnprocessedKeys ?? {}).length > 0;
    const stored = unprocessed ? await load(tokenId) : itemToStored(result.Responses?.[tableName]?.[0]);
    if (!stored) return null;
    // The owner's item may be under another name if the token moved owner since the first read.
    const ownerRevision =
      unprocessed || stored.record.owner !== owner
        ? await send(() => owners.get(stored.record.owner))
        : revisionOf(result.Responses?.[ownersTable]?.[0]?.rev);
    return { ...stored, ownerRevision };
  }

  /** Writes a change computed from the record at `expected` (see {@link revisionUpdate}). */
  async function writeRevision(
    tokenId: string,
    expected: number,
    set: Record<string, unknown>,
    remove: readonly string[] = [],
  ): Promise<TokenRecord> {
    try {
      const result = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tokenId },
          ...revisionUpdate(expected, set, remove),
          ReturnValues: "ALL_NEW",
        }),
      );
      const stored = itemToStored(result.Attributes);
      if (!stored) throw new StoreUnavailableError(`token ${tokenId} is stored in an unreadable form`);
      return stored.record;
    } catch (error) {
      if (!isConditionFailure(error)) unavailable(error);
      if (!(await load(tokenId))) throw notFound(tokenId);
      throw new RevisionConflictError(tokenId);
    }
  }

  const change: TokenTable["change"] = (tokenId, options, apply) => changeFromFreshReads(load, tokenId, options, apply);

  return { doc, tableName, owners, nowSeconds: parts.nowSeconds, send, load, stateAfterCheck, writeRevision, change };
}
