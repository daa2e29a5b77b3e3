import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  assertTokenPrefix,
  checkScryptParams,
  DEFAULT_SCRYPT_PARAMS,
  DEFAULT_TOKEN_PREFIX,
  formatPat,
  hashSecret,
  isTokenId,
  newTokenId,
  parsePat,
  parsePhc,
  SECRET_BYTES,
  type SecretCheck,
  verifySecret as scryptVerify,
} from "@patgate/shared";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { invalid, notFound, StoreUnavailableError, TokenStoreError } from "./errors.js";
import { itemToStored, newItem, type TokenItem } from "./record.js";
import { describeTable, OWNER_INDEX } from "./table.js";
import type {
  BatchLoadResult,
  GenerateResult,
  IssueInput,
  ListOptions,
  ListPage,
  PatVerifyResult,
  RegisterInput,
  StateChange,
  TokenRecord,
  TokenStore,
  TokenStoreOptions,
  TokenUpdate,
} from "./types.js";
import {
  type CheckedIssue,
  checkIssueInput,
  checkListOptions,
  checkTokenId,
  checkUpdate,
  MAX_ROLES,
} from "./validation.js";

/** Seams for tests; production code never passes these. */
export interface TokenStoreInternals {
  /** The scrypt check; tests observe that a missing token still pays for one. */
  readonly verifySecret?: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
}

const BATCH_GET_SIZE = 100;
const BATCH_GET_ATTEMPTS = 5;
const TOUCH_INTERVAL_SECONDS = 60;
const ROLE_CAS_ATTEMPTS = 5;

/** Names SDK errors that mean "the store is not serving", as opposed to a bug in our request. */
function unavailable(error: unknown): never {
  if (error instanceof TokenStoreError || error instanceof StoreUnavailableError) throw error;
  const name = error instanceof Error ? error.name : "";
  // A ValidationException is a malformed request: our bug, not an outage; let it surface.
  if (name === "ValidationException") throw error;
  throw new StoreUnavailableError(`token store unavailable: ${name || "unknown error"}`, { cause: error });
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/**
 * Creates the DynamoDB-backed PAT store.
 *
 * @example
 * const store = createTokenStore(new DynamoDBClient({}), { tableName: "patgate-tokens" });
 * const { token } = await store.issue({ owner: "alice", roles: ["reader"] });
 */
export function createTokenStore(
  client: DynamoDBClient,
  options: TokenStoreOptions,
  internals: TokenStoreInternals = {},
): TokenStore {
  const { tableName, tokenPrefix = DEFAULT_TOKEN_PREFIX, scrypt = DEFAULT_SCRYPT_PARAMS, now = Date.now } = options;
  assertTokenPrefix(tokenPrefix);
  const scryptProblem = checkScryptParams(scrypt);
  if (scryptProblem) throw new RangeError(`invalid scrypt parameters: ${scryptProblem}`);
  const verifySecret = internals.verifySecret ?? scryptVerify;
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor(now() / 1000);

  // Hashed once, lazily, with the store's own parameters: verifying a missing
  // token against it costs what a wrong secret costs, so response time does
  // not tell which token ids exist.
  let dummyPhc: Promise<string> | undefined;
  const dummy = () => {
    dummyPhc ??= hashSecret(randomBytes(SECRET_BYTES), scrypt);
    return dummyPhc;
  };

  async function send<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      return unavailable(error);
    }
  }

  /**
   * The item as it was when a condition failed: DynamoDB returns it
   * (ReturnValuesOnConditionCheckFailure), emulators such as dynalite do not,
   * so fall back to a consistent read.
   */
  async function itemAfterConditionFailure(error: ConditionalCheckFailedException, tokenId: string) {
    const returned = (error as { Item?: TokenItem }).Item;
    return returned ? itemToStored(returned) : load(tokenId);
  }

  async function load(tokenId: string) {
    const result = await send(() =>
      doc.send(new GetCommand({ TableName: tableName, Key: { tokenId }, ConsistentRead: true })),
    );
    return itemToStored(result.Item);
  }

  async function put(checked: CheckedIssue, tokenId: string, secretPhc: string): Promise<TokenRecord> {
    const at = nowSeconds();
    const record: TokenRecord = {
      tokenId,
      owner: checked.owner,
      isAdmin: checked.isAdmin,
      roles: checked.roles,
      ...(checked.name === undefined ? {} : { name: checked.name }),
      isRevoked: false,
      ...(checked.expiresAt === undefined ? {} : { expiresAt: checked.expiresAt }),
      createdAt: at,
      updatedAt: at,
    };
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: newItem(record, secretPhc),
          ConditionExpression: "attribute_not_exists(tokenId)",
        }),
      );
    } catch (error) {
      if (isConditionFailure(error))
        throw new TokenStoreError("conflict", `a token with id ${tokenId} already exists`, "tokenId");
      unavailable(error);
    }
    return record;
  }

  async function generate(options?: { readonly tokenId?: string }): Promise<GenerateResult> {
    const tokenId = options?.tokenId === undefined ? newTokenId() : checkTokenId(options.tokenId);
    const secret = randomBytes(SECRET_BYTES);
    const secretPhc = await hashSecret(secret, scrypt);
    return { token: formatPat(tokenPrefix, tokenId, secret), tokenId, secretPhc };
  }

  /** Applies a conditional state flip (revoke / restore) and reports whether it changed anything. */
  async function flip(
    tokenId: string,
    condition: string,
    update: string,
    values: Record<string, unknown>,
  ): Promise<StateChange> {
    checkTokenId(tokenId);
    try {
      const result = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tokenId },
          ConditionExpression: `attribute_exists(tokenId) AND ${condition}`,
          UpdateExpression: update,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const stored = itemToStored(result.Attributes);
      if (!stored) throw new StoreUnavailableError(`token ${tokenId} is stored in an unreadable form`);
      return { record: stored.record, changed: true };
    } catch (error) {
      if (!isConditionFailure(error)) unavailable(error);
      const stored = await itemAfterConditionFailure(error, tokenId);
      if (!stored) throw notFound(tokenId);
      return { record: stored.record, changed: false };
    }
  }

  async function update(tokenId: string, changes: TokenUpdate): Promise<TokenRecord> {
    checkTokenId(tokenId);
    const checked = checkUpdate(changes, nowSeconds());
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":now": nowSeconds() };
    const set = ["updatedAt = :now"];
    const remove: string[] = [];
    const clauses: string[] = [];
    const conditions = ["attribute_exists(tokenId)"];

    if (checked.owner !== undefined) {
      names["#owner"] = "owner";
      values[":owner"] = checked.owner;
      set.push("#owner = :owner");
    }
    if (checked.isAdmin !== undefined) {
      values[":isAdmin"] = checked.isAdmin;
      set.push("isAdmin = :isAdmin");
    }
    if (checked.name !== undefined) {
      names["#name"] = "name";
      if (checked.name === null) remove.push("#name");
      else {
        values[":name"] = checked.name;
        set.push("#name = :name");
      }
    }
    if (checked.expiresAt !== undefined) {
      if (checked.expiresAt === null) remove.push("expiresAt");
      else {
        values[":expiresAt"] = checked.expiresAt;
        set.push("expiresAt = :expiresAt");
      }
    }
    const roles = checked.roles;
    if (roles) {
      names["#roles"] = "roles";
      if (roles.kind === "replace") {
        if (roles.roles.length === 0) remove.push("#roles");
        else {
          values[":roles"] = new Set(roles.roles);
          set.push("#roles = :roles");
        }
      } else if (roles.kind === "add") {
        // ADD is atomic, so concurrent adds and removes lose nothing. The
        // condition keeps the set within MAX_ROLES even if every added role is new;
        // when that bound is too strict (some roles already present), the
        // compare-and-swap path below decides with the real union.
        values[":addRoles"] = new Set(roles.roles);
        values[":roleBound"] = MAX_ROLES - roles.roles.length;
        clauses.push("ADD #roles :addRoles");
        conditions.push("(attribute_not_exists(#roles) OR size(#roles) <= :roleBound)");
      } else {
        values[":removeRoles"] = new Set(roles.roles);
        clauses.push("DELETE #roles :removeRoles");
      }
    }

    const expression = [
      `SET ${set.join(", ")}`,
      ...(remove.length ? [`REMOVE ${remove.join(", ")}`] : []),
      ...clauses,
    ].join(" ");
    try {
      const result = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tokenId },
          UpdateExpression: expression,
          ConditionExpression: conditions.join(" AND "),
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const stored = itemToStored(result.Attributes);
      if (!stored) throw new StoreUnavailableError(`token ${tokenId} is stored in an unreadable form`);
      return stored.record;
    } catch (error) {
      if (!isConditionFailure(error)) unavailable(error);
      const old = await itemAfterConditionFailure(error, tokenId);
      if (!old) throw notFound(tokenId);
      if (roles?.kind !== "add") throw error;
      return addRolesNearLimit(tokenId, changes, roles.roles);
    }
  }

  /**
   * The rare path of an add near the role limit: compute the real union and
   * write it only if the set is still what was read (compare-and-swap), retrying
   * on a concurrent change.
   */
  async function addRolesNearLimit(
    tokenId: string,
    changes: TokenUpdate,
    add: readonly string[],
  ): Promise<TokenRecord> {
    for (let attempt = 0; attempt < ROLE_CAS_ATTEMPTS; attempt++) {
      const current = await load(tokenId);
      if (!current) throw notFound(tokenId);
      const union = [...new Set([...current.record.roles, ...add])].sort();
      if (union.length > MAX_ROLES) throw invalid("roles.add", `would give the token more than ${MAX_ROLES} roles`);
      const { roles: _roles, ...rest } = changes;
      const others = Object.keys(rest).length > 0 ? checkUpdate(rest, nowSeconds()) : undefined;
      const values: Record<string, unknown> = { ":now": nowSeconds(), ":union": new Set(union) };
      const condition = current.record.roles.length === 0 ? "attribute_not_exists(#roles)" : "#roles = :seen";
      if (current.record.roles.length > 0) values[":seen"] = new Set(current.record.roles);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { tokenId },
            UpdateExpression: "SET #roles = :union, updatedAt = :now",
            ConditionExpression: `attribute_exists(tokenId) AND ${condition}`,
            ExpressionAttributeNames: { "#roles": "roles" },
            ExpressionAttributeValues: values,
          }),
        );
        return others ? update(tokenId, rest) : ((await load(tokenId))?.record ?? Promise.reject(notFound(tokenId)));
      } catch (error) {
        if (!isConditionFailure(error)) unavailable(error);
      }
    }
    throw new StoreUnavailableError(`roles of token ${tokenId} changed concurrently too often; retry`);
  }

  async function list(options?: ListOptions): Promise<ListPage> {
    const checked = checkListOptions(options);
    const start = checked.cursor === undefined ? undefined : decodeCursor(checked.cursor);
    if (start && (start.owner !== undefined) !== (checked.owner !== undefined)) {
      throw invalid("cursor", "belongs to a different listing");
    }

    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    if (checked.hasRole !== undefined) {
      names["#roles"] = "roles";
      values[":role"] = checked.hasRole;
      filters.push("contains(#roles, :role)");
    }
    if (!checked.includeRevoked)
      filters.push("(attribute_not_exists(isRevoked) OR isRevoked = :false) AND attribute_not_exists(revokedAt)");
    if (!checked.includeRevoked) values[":false"] = false;
    if (!checked.includeExpired) {
      values[":nowS"] = nowSeconds();
      filters.push("(attribute_not_exists(expiresAt) OR expiresAt > :nowS)");
    }

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
      let result: { Items?: TokenItem[]; LastEvaluatedKey?: Record<string, unknown> };
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

  async function batchLoad(tokenIds: Iterable<string>): Promise<BatchLoadResult> {
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

  return {
    tableName,

    async issue(input: IssueInput) {
      const checked = checkIssueInput(input, nowSeconds());
      if ("secretPhc" in (input as object)) throw invalid("secretPhc", "is only accepted by register");
      const { token, tokenId, secretPhc } = await generate(
        checked.tokenId === undefined ? {} : { tokenId: checked.tokenId },
      );
      const record = await put(checked, tokenId, secretPhc);
      return { token, record };
    },

    async verify(token: string): Promise<PatVerifyResult> {
      const parsed = parsePat(token, tokenPrefix);
      if (!parsed.ok) return { ok: false, reason: parsed.reason };
      const stored = await load(parsed.tokenId);
      if (!stored) {
        await verifySecret(parsed.secret, await dummy());
        return { ok: false, reason: "not_found" };
      }
      const phc = typeof stored.secretPhc === "string" ? stored.secretPhc : "";
      const check = await verifySecret(parsed.secret, phc);
      if (!check.ok) return { ok: false, reason: check.reason };
      // Only a holder of the secret learns that the token is revoked or expired.
      if (stored.record.isRevoked) return { ok: false, reason: "revoked", record: stored.record };
      if (stored.record.expiresAt !== undefined && stored.record.expiresAt <= nowSeconds()) {
        return { ok: false, reason: "expired", record: stored.record };
      }
      return { ok: true, record: stored.record };
    },

    generate,

    async register(input: RegisterInput) {
      const checked = checkIssueInput(input, nowSeconds());
      const tokenId = checkTokenId(input.tokenId);
      const phc = parsePhc(input.secretPhc);
      if (!phc.ok) throw invalid("secretPhc", `is not a usable scrypt PHC string (${phc.reason})`);
      return put(checked, tokenId, input.secretPhc);
    },

    async get(tokenId: string) {
      checkTokenId(tokenId);
      return (await load(tokenId))?.record ?? null;
    },

    update,

    revoke(tokenId: string) {
      const at = nowSeconds();
      // revokedAt is set once; expiresAt is left alone: revocation is not an expiry.
      return flip(
        tokenId,
        "attribute_not_exists(revokedAt)",
        "SET isRevoked = :true, revokedAt = :now, updatedAt = :now",
        {
          ":true": true,
          ":now": at,
        },
      );
    },

    restore(tokenId: string) {
      return flip(
        tokenId,
        "(attribute_exists(revokedAt) OR isRevoked = :true)",
        "SET isRevoked = :false, updatedAt = :now REMOVE revokedAt",
        { ":true": true, ":false": false, ":now": nowSeconds() },
      );
    },

    list,
    batchLoad,

    async touch(tokenId: string, usage: { readonly at: number; readonly ip?: string }) {
      if (!isTokenId(tokenId)) return;
      const values: Record<string, unknown> = { ":at": usage.at, ":threshold": usage.at - TOUCH_INTERVAL_SECONDS };
      if (usage.ip !== undefined) values[":ip"] = usage.ip;
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { tokenId },
            UpdateExpression: `SET lastUsedAt = :at${usage.ip === undefined ? "" : ", lastUsedIp = :ip"}`,
            // attribute_exists: a touch never recreates a deleted token as a stub.
            ConditionExpression:
              "attribute_exists(tokenId) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :threshold)",
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) unavailable(error);
      }
    },

    ping: () => send(() => describeTable(client, tableName)),
  };
}
