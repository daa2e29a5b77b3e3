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
  formatPhc,
  hashSecret,
  isTokenId,
  newTokenId,
  type ParsePatResult,
  parsePat,
  parsePhc,
  SECRET_BYTES,
  type SecretCheck,
  verifySecret as scryptVerify,
} from "@patgate/shared";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { backOff, invalid, notFound, RevisionConflictError, StoreUnavailableError, TokenStoreError } from "./errors.js";
import { EXPIRY_WARNING_ATTRIBUTES, expiryWarningAttributes } from "./expiry-warnings.js";
import { createOwnerRevisions, ownerTableName, revisionOf } from "./owner-revisions.js";
import { itemToStored, newItem, type TokenItem } from "./record.js";
import { changeFor } from "./record-update.js";
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
  WriteOptions,
} from "./types.js";
import {
  type CheckedIssue,
  checkGraceSeconds,
  checkIssueInput,
  checkListOptions,
  checkTokenId,
  checkUpdate,
} from "./validation.js";

/** Seams for tests; production code never passes these. */
export interface TokenStoreInternals {
  /** The scrypt check; tests observe that a missing token still pays for one. */
  readonly verifySecret?: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
}

const BATCH_GET_SIZE = 100;
const BATCH_GET_ATTEMPTS = 5;
const TOUCH_INTERVAL_SECONDS = 60;
/** Attempts of a conditional write that keeps meeting concurrent changes. */
const WRITE_ATTEMPTS = 20;

/** `366d`, `12h`, `90m` or seconds: how the policy's limit reads in an error. */
function describeLifetime(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

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
  const verifySecret = internals.verifySecret ?? options.verifySecret ?? scryptVerify;
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor(now() / 1000);
  const maxLifetime = options.maxLifetimeSeconds;
  if (maxLifetime !== undefined && (!Number.isSafeInteger(maxLifetime) || maxLifetime <= 0))
    throw new RangeError("maxLifetimeSeconds must be a positive integer");
  const ownersTable = options.ownerTableName ?? ownerTableName(tableName);
  const owners = createOwnerRevisions(client, ownersTable);

  // A PHC with the store's own parameters: verifying a missing token against it
  // costs what a wrong secret costs, so response time does not tell which token
  // ids exist. Its hash is random bytes rather than the hash of a secret: no
  // secret matches it, and making it costs no scrypt outside the budget.
  const dummyPhc = formatPhc({ params: scrypt, salt: randomBytes(16), hash: randomBytes(32) });

  async function send<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      return unavailable(error);
    }
  }

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

  /** A lifetime beyond the policy is refused; none at all gets the policy's longest. */
  function expiryWithinPolicy(expiresAt: number | null | undefined, at: number): number | null | undefined {
    if (maxLifetime === undefined) return expiresAt;
    const limit = `${describeLifetime(maxLifetime)} from now (PATGATE_MAX_TOKEN_LIFETIME)`;
    if (expiresAt === null) throw invalid("expiresAt", `cannot be removed: every PAT expires within ${limit}`);
    if (expiresAt === undefined) return at + maxLifetime;
    if (expiresAt > at + maxLifetime) throw invalid("expiresAt", `must be at most ${limit}`);
    return expiresAt;
  }

  async function put(input: CheckedIssue, tokenId: string, secretPhc: string): Promise<TokenRecord> {
    const at = nowSeconds();
    const expiresAt = expiryWithinPolicy(input.expiresAt, at) ?? undefined;
    const checked: CheckedIssue = { ...input, ...(expiresAt === undefined ? {} : { expiresAt }) };
    const ownerRevision = await send(() => owners.get(checked.owner));
    const record: TokenRecord = {
      tokenId,
      owner: checked.owner,
      isAdmin: checked.isAdmin,
      roles: checked.roles,
      ...(checked.name === undefined ? {} : { name: checked.name }),
      isRevoked: false,
      ...(checked.expiresAt === undefined ? {} : { expiresAt: checked.expiresAt }),
      ...(checked.allowedIps?.length ? { allowedIps: checked.allowedIps } : {}),
      createdAt: at,
      updatedAt: at,
      revision: 1,
      ownerRevision,
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

  /**
   * Writes a change computed from the record at `expected`, only if the record
   * is still there (its revision unchanged), and bumps the revision. Names are
   * all aliased, so any attribute (reserved word or not) can be set or removed.
   */
  async function writeRevision(
    tokenId: string,
    expected: number,
    set: Record<string, unknown>,
    remove: readonly string[] = [],
  ): Promise<TokenRecord> {
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
    try {
      const result = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tokenId },
          UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
          ConditionExpression: `attribute_exists(tokenId) AND ${revision}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
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

  /**
   * Reads the record, computes a change from it and writes it conditionally.
   * With `expectedRevision` one attempt (the caller recorded something for that
   * revision and retries itself); without, a few attempts from fresh reads.
   */
  async function change<T>(
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

  async function update(tokenId: string, changes: TokenUpdate, options?: WriteOptions): Promise<TokenRecord> {
    checkTokenId(tokenId);
    const checked = checkUpdate(changes, nowSeconds());
    if (checked.expiresAt !== undefined) expiryWithinPolicy(checked.expiresAt, nowSeconds());
    return change(tokenId, options, async (before) => {
      const next = changeFor(before, checked);
      const set: Record<string, unknown> = { updatedAt: nowSeconds() };
      const remove: string[] = [];
      if (next.owner !== undefined) {
        set.owner = next.owner;
        // A PAT moved to another owner joins that owner's current revision.
        if (next.owner !== before.owner) set.ownerRev = await send(() => owners.get(next.owner as string));
      }
      if (next.isAdmin !== undefined) set.isAdmin = next.isAdmin;
      if (next.name === null) remove.push("name");
      else if (next.name !== undefined) set.name = next.name;
      // A new expiry starts the warnings over, from the first still ahead (none already crossed is sent).
      if (next.expiresAt === null) remove.push("expiresAt", ...EXPIRY_WARNING_ATTRIBUTES);
      else if (next.expiresAt !== undefined && next.expiresAt !== before.expiresAt) {
        set.expiresAt = next.expiresAt;
        const warning = expiryWarningAttributes(next.expiresAt, nowSeconds());
        if (warning) Object.assign(set, warning);
        else remove.push(...EXPIRY_WARNING_ATTRIBUTES);
      }
      // DynamoDB stores no empty set: no roles means no attribute.
      if (next.roles !== undefined && next.roles.length === 0) remove.push("roles");
      else if (next.roles !== undefined) set.roles = new Set(next.roles);
      if (next.allowedIps === null) remove.push("allowedIps");
      else if (next.allowedIps !== undefined) set.allowedIps = [...next.allowedIps];
      return writeRevision(tokenId, before.revision, set, remove);
    });
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

    async verify(token: string | ParsePatResult): Promise<PatVerifyResult> {
      const parsed = typeof token === "object" && token !== null ? token : parsePat(token, tokenPrefix);
      if (!parsed.ok) return { ok: false, reason: parsed.reason };
      const stored = await load(parsed.tokenId);
      if (!stored) {
        await verifySecret(parsed.secret, dummyPhc);
        return { ok: false, reason: "not_found" };
      }
      const phc = typeof stored.secretPhc === "string" ? stored.secretPhc : "";
      const check = await verifySecret(parsed.secret, phc);
      // Within a rotation's grace period the secret it replaced still works.
      const graceUntil = stored.record.previousSecretExpiresAt;
      const inGrace =
        graceUntil !== undefined && graceUntil > nowSeconds() && typeof stored.previousSecretPhc === "string";
      const previous =
        !check.ok && check.reason === "invalid_secret" && inGrace
          ? await verifySecret(parsed.secret, stored.previousSecretPhc as string)
          : undefined;
      if (!check.ok && !previous?.ok) return { ok: false, reason: check.reason };
      const viaPrevious = previous?.ok === true;
      // scrypt took tens of milliseconds: a revocation may have landed meanwhile.
      // The state returned is read again after it, with the owner's revision, in
      // one round trip; what lands after this read is caught by its mark.
      const fresh = await stateAfterCheck(parsed.tokenId, stored.record.owner);
      if (!fresh) return { ok: false, reason: "invalid_secret" };
      // The secret that matched must still be the token's (not rotated away, grace not over).
      const sameSecret = viaPrevious
        ? fresh.previousSecretPhc === stored.previousSecretPhc &&
          (fresh.record.previousSecretExpiresAt ?? 0) > nowSeconds()
        : fresh.secretPhc === stored.secretPhc;
      if (!sameSecret) return { ok: false, reason: "invalid_secret" };
      const { record } = fresh;
      // Only a holder of the secret learns that the token is revoked or expired.
      if (record.isRevoked || record.ownerRevision < fresh.ownerRevision)
        return { ok: false, reason: "revoked", record };
      if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds()) {
        return { ok: false, reason: "expired", record };
      }
      return {
        ok: true,
        record,
        ...(viaPrevious && record.previousSecretExpiresAt !== undefined
          ? { secretValidUntil: record.previousSecretExpiresAt }
          : {}),
      };
    },

    async rotate(tokenId, options) {
      const grace = checkGraceSeconds(options.graceSeconds);
      return change(tokenId, options, async (before) => {
        const item = await load(tokenId);
        const { token, secretPhc } = await generate({ tokenId });
        const at = nowSeconds();
        // Only the secret just replaced survives, and only for the grace period.
        const keepPrevious = grace > 0 && typeof item?.secretPhc === "string";
        // A token older than the policy comes out of its rotation within it.
        const policyEnd = maxLifetime === undefined ? undefined : at + maxLifetime;
        const expiresAt =
          policyEnd !== undefined && (before.expiresAt === undefined || before.expiresAt > policyEnd)
            ? policyEnd
            : undefined;
        const record = await writeRevision(
          tokenId,
          before.revision,
          {
            secretPhc,
            updatedAt: at,
            ...(expiresAt === undefined ? {} : { expiresAt }),
            ...(keepPrevious ? { previousSecretPhc: item?.secretPhc, previousSecretExpiresAt: at + grace } : {}),
          },
          keepPrevious ? [] : ["previousSecretPhc", "previousSecretExpiresAt"],
        );
        return { token, record };
      });
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

    revoke(tokenId: string, options?: WriteOptions) {
      return change(tokenId, options, async (before): Promise<StateChange> => {
        if (before.isRevoked) return { record: before, changed: false };
        const at = nowSeconds();
        // revokedAt is set once; expiresAt is left alone: revocation is not an expiry.
        const record = await writeRevision(tokenId, before.revision, { isRevoked: true, revokedAt: at, updatedAt: at });
        return { record, changed: true };
      });
    },

    restore(tokenId: string, options?: WriteOptions) {
      return change(tokenId, options, async (before): Promise<StateChange> => {
        const ownerRevision = await send(() => owners.get(before.owner));
        if (!before.isRevoked && before.ownerRevision >= ownerRevision) return { record: before, changed: false };
        // Restoring a PAT revoked with its owner brings it back alone: it joins the owner's current revision.
        const record = await writeRevision(
          tokenId,
          before.revision,
          { isRevoked: false, updatedAt: nowSeconds(), ownerRev: ownerRevision },
          ["revokedAt"],
        );
        return { record, changed: true };
      });
    },

    owners,

    list,
    batchLoad,

    async touch(tokenId, usage) {
      if (!isTokenId(tokenId)) return;
      const values: Record<string, unknown> = { ":at": usage.at, ":threshold": usage.at - TOUCH_INTERVAL_SECONDS };
      const set = ["lastUsedAt = :at"];
      // Written at most once a minute, or at once when the token is used from a new address.
      let fresh = "attribute_not_exists(lastUsedAt) OR lastUsedAt <= :threshold";
      if (usage.ip !== undefined) {
        values[":ip"] = usage.ip;
        set.push("lastUsedIp = :ip");
        fresh += " OR attribute_not_exists(lastUsedIp) OR lastUsedIp <> :ip";
      }
      if (usage.recentIps?.length) {
        values[":recent"] = [...usage.recentIps];
        set.push("recentIps = :recent");
      }
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { tokenId },
            UpdateExpression: `SET ${set.join(", ")}`,
            // attribute_exists: a touch never recreates a deleted token as a stub.
            ConditionExpression: `attribute_exists(tokenId) AND (${fresh})`,
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
