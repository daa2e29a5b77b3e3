import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
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
  parsePhc,
  SECRET_BYTES,
  type SecretCheck,
  verifySecret as scryptVerify,
} from "@patgate/shared";
import { invalid, TokenStoreError } from "./errors.js";
import { EXPIRY_WARNING_ATTRIBUTES, expiryWarningAttributes } from "./expiry-warnings.js";
import { createLifetimePolicy } from "./lifetime-policy.js";
import { batchLoadTokens, listTokens } from "./list-tokens.js";
import { createOwnerRevisions, ownerTableName } from "./owner-revisions.js";
import { newItem } from "./record.js";
import { changeFor } from "./record-update.js";
import { describeTable } from "./table.js";
import { isConditionFailure, openTokenTable, unavailable } from "./token-table.js";
import type {
  GenerateResult,
  IssueInput,
  RegisterInput,
  StateChange,
  TokenRecord,
  TokenStore,
  TokenStoreOptions,
  TokenUpdate,
  WriteOptions,
} from "./types.js";
import { type CheckedIssue, checkGraceSeconds, checkIssueInput, checkTokenId, checkUpdate } from "./validation.js";
import { createPatVerification } from "./verify-pat.js";

/** Seams for tests; production code never passes these. */
export interface TokenStoreInternals {
  /** The scrypt check; tests observe that a missing token still pays for one. */
  readonly verifySecret?: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
}

const TOUCH_INTERVAL_SECONDS = 60;

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
  const policy = createLifetimePolicy(options.maxLifetimeSeconds);
  const { maxLifetime, expiryWithinPolicy } = policy;
  const ownersTable = options.ownerTableName ?? ownerTableName(tableName);
  const owners = createOwnerRevisions(client, ownersTable);
  const table = openTokenTable({ doc, tableName, ownersTable, owners, nowSeconds });
  const { send, load, writeRevision, change } = table;

  // A PHC with the store's own parameters: verifying a missing token against it
  // costs what a wrong secret costs, so response time does not tell which token
  // ids exist. Its hash is random bytes rather than the hash of a secret: no
  // secret matches it, and making it costs no scrypt outside the budget.
  const dummyPhc = formatPhc({ params: scrypt, salt: randomBytes(16), hash: randomBytes(32) });
  const verify = createPatVerification(table, { tokenPrefix, verifySecret, dummyPhc });

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

    verify,

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

    list: (listOptions) => listTokens(table, listOptions),
    batchLoad: (tokenIds) => batchLoadTokens(table, tokenIds),

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
