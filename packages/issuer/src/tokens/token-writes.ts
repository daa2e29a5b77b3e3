import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isTokenId } from "@patgate/shared";
import type { AuthorizationTypes } from "../authorization/authorization-types.js";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { TokenStoreError } from "./errors.js";
import { EXPIRY_WARNING_ATTRIBUTES, expiryWarningAttributes } from "./expiry-warnings.js";
import type { createLifetimePolicy } from "./lifetime-policy.js";
import { newItem } from "./record.js";
import { changeFor } from "./record-update.js";
import { type TokenTable, unavailable } from "./token-table.js";
import type { StateChange, TokenRecord, TokenStore, TokenUpdate, WriteOptions } from "./types.js";
import { type CheckedIssue, checkGraceSeconds, checkTokenId, checkUpdate } from "./validation.js";

/** Every write of the token store but verification and listing, each one function over the table. */

type LifetimePolicy = ReturnType<typeof createLifetimePolicy>;

const TOUCH_INTERVAL_SECONDS = 60;

/** Writes a new token; an id already taken is a `conflict` naming `tokenId`. */
export async function putToken(
  table: TokenTable,
  policy: LifetimePolicy,
  input: CheckedIssue,
  tokenId: string,
  secretPhc: string,
  allocateStatusIndex?: () => Promise<number>,
): Promise<TokenRecord> {
  const { doc, tableName, owners, send, nowSeconds } = table;
  const at = nowSeconds();
  const expiresAt = policy.expiryWithinPolicy(input.expiresAt, at) ?? undefined;
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
    ...(checked.dpopJkt === undefined ? {} : { dpopJkt: checked.dpopJkt }),
    ...(checked.dpopBindOnFirstUse ? { dpopBindOnFirstUse: true } : {}),
    ...(checked.authorizationDetails?.length ? { authorizationDetails: checked.authorizationDetails } : {}),
    createdAt: at,
    updatedAt: at,
    revision: 1,
    ownerRevision,
    ...(allocateStatusIndex ? { statusIdx: await send(allocateStatusIndex) } : {}),
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

export async function updateToken(
  table: TokenTable,
  policy: LifetimePolicy,
  tokenId: string,
  changes: TokenUpdate,
  options?: WriteOptions,
  types?: AuthorizationTypes,
): Promise<TokenRecord> {
  const { owners, send, nowSeconds, change, writeRevision } = table;
  checkTokenId(tokenId);
  const checked = checkUpdate(changes, nowSeconds(), types);
  if (checked.expiresAt !== undefined) policy.expiryWithinPolicy(checked.expiresAt, nowSeconds());
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
    // A key given (or taken away) ends a first-use binding still waiting.
    if (next.dpopJkt !== undefined) remove.push("dpopFirstUse");
    if (next.dpopJkt === null) remove.push("dpopJkt");
    else if (next.dpopJkt !== undefined) set.dpopJkt = next.dpopJkt;
    if (options?.statusIdx !== undefined) set.statusIdx = options.statusIdx;
    if (next.authorizationDetails === null) remove.push("authz");
    else if (next.authorizationDetails !== undefined) set.authz = next.authorizationDetails;
    return writeRevision(tokenId, before.revision, set, remove);
  });
}

/** A new secret for the token; the one replaced works `graceSeconds` more (see `TokenStore.rotate`). */
export async function rotateToken(
  table: TokenTable,
  policy: LifetimePolicy,
  generate: TokenStore["generate"],
  tokenId: string,
  options: WriteOptions & { readonly graceSeconds: number },
): Promise<{ readonly token: string; readonly record: TokenRecord }> {
  const { load, nowSeconds, writeRevision, change } = table;
  const { maxLifetime } = policy;
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
}

export function revokeToken(table: TokenTable, tokenId: string, options?: WriteOptions): Promise<StateChange> {
  const { change, nowSeconds, writeRevision } = table;
  return change(tokenId, options, async (before): Promise<StateChange> => {
    if (before.isRevoked) return { record: before, changed: false };
    const at = nowSeconds();
    // revokedAt is set once; expiresAt is left alone: revocation is not an expiry.
    const statusIdx = options?.statusIdx === undefined ? {} : { statusIdx: options.statusIdx };
    const record = await writeRevision(tokenId, before.revision, {
      isRevoked: true,
      revokedAt: at,
      updatedAt: at,
      ...statusIdx,
    });
    return { record, changed: true };
  });
}

export function restoreToken(table: TokenTable, tokenId: string, options?: WriteOptions): Promise<StateChange> {
  const { change, owners, send, nowSeconds, writeRevision } = table;
  return change(tokenId, options, async (before): Promise<StateChange> => {
    const ownerRevision = await send(() => owners.get(before.owner));
    if (!before.isRevoked && before.ownerRevision >= ownerRevision) return { record: before, changed: false };
    // Restoring a PAT revoked with its owner brings it back alone: it joins the owner's current revision.
    const record = await writeRevision(
      tokenId,
      before.revision,
      {
        isRevoked: false,
        updatedAt: nowSeconds(),
        ownerRev: ownerRevision,
        ...(options?.statusIdx === undefined ? {} : { statusIdx: options.statusIdx }),
      },
      ["revokedAt"],
    );
    return { record, changed: true };
  });
}

/** Records a use: at most once a minute, or at once from a new address; never recreates a deleted token. */
export async function touchToken(
  table: TokenTable,
  tokenId: string,
  usage: { readonly at: number; readonly ip?: string; readonly recentIps?: readonly string[] },
): Promise<void> {
  const { doc, tableName } = table;
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
}
