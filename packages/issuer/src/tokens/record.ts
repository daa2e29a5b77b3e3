import { isJwkThumbprint, isTokenId } from "@patgate/shared";
import { checkAuthorizationDetails } from "../authorization/authorization-detail.js";
import { expiryWarningAttributes } from "./expiry-warnings.js";
import type { TokenRecord } from "./types.js";

/** A token item as the DynamoDB document client reads it. */
export type TokenItem = Record<string, unknown>;

/** A record read back from the table, with the secret hash kept apart from the public record. */
export interface StoredToken {
  readonly record: TokenRecord;
  readonly secretPhc: unknown;
  /** The secret replaced by a rotation, accepted until `record.previousSecretExpiresAt`. */
  readonly previousSecretPhc: unknown;
}

function epoch(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === "string")
    ? (value as string[])
    : undefined;
}

function roleList(value: unknown): string[] | null {
  if (value === undefined) return [];
  const items = value instanceof Set ? [...value] : Array.isArray(value) ? value : null;
  if (!items?.every((role): role is string => typeof role === "string")) return null;
  return [...new Set(items)].sort();
}

/** Details read back: their shape checked again (items are untrusted); unusable ones grant nothing. */
function storedDetails(value: unknown): Pick<TokenRecord, "authorizationDetails"> {
  if (value === undefined) return {};
  const checked = checkAuthorizationDetails(value, "authz");
  return checked.ok && checked.details.length > 0 ? { authorizationDetails: checked.details } : {};
}

/**
 * Maps a table item to a record, or null when the item is not a usable token
 * (corrupt or written by something else). Never throws: items are untrusted.
 */
export function itemToStored(item: TokenItem | undefined): StoredToken | null {
  if (!item) return null;
  const { tokenId, owner, isAdmin, name, createdAt, lastUsedIp } = item;
  const roles = roleList(item.roles);
  const created = epoch(createdAt);
  if (
    !isTokenId(tokenId) ||
    typeof owner !== "string" ||
    owner.length === 0 ||
    roles === null ||
    created === undefined
  ) {
    return null;
  }
  const revokedAt = epoch(item.revokedAt);
  const expiresAt = epoch(item.expiresAt);
  const lastUsedAt = epoch(item.lastUsedAt);
  const previousSecretExpiresAt =
    typeof item.previousSecretPhc === "string" ? epoch(item.previousSecretExpiresAt) : undefined;
  const record: TokenRecord = {
    tokenId,
    owner,
    isAdmin: isAdmin === true,
    roles,
    ...(typeof name === "string" && name.length > 0 ? { name } : {}),
    // `@access-tokens/core` records carry only revokedAt; treat either as revoked.
    isRevoked: item.isRevoked === true || (item.isRevoked === undefined && revokedAt !== undefined),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    createdAt: created,
    updatedAt: epoch(item.updatedAt) ?? created,
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
    ...(typeof lastUsedIp === "string" ? { lastUsedIp } : {}),
    ...(previousSecretExpiresAt === undefined ? {} : { previousSecretExpiresAt }),
    ...(stringList(item.allowedIps) ? { allowedIps: stringList(item.allowedIps) as string[] } : {}),
    ...(stringList(item.recentIps) ? { recentIps: stringList(item.recentIps) as string[] } : {}),
    revision: epoch(item.rev) ?? 0,
    ownerRevision: epoch(item.ownerRev) ?? 0,
    ...(isJwkThumbprint(item.dpopJkt) ? { dpopJkt: item.dpopJkt } : {}),
    // A first-use binding is over once a key is recorded, whatever the flag says.
    ...(item.dpopFirstUse === true && !isJwkThumbprint(item.dpopJkt) ? { dpopBindOnFirstUse: true } : {}),
    ...(epoch(item.statusIdx) === undefined ? {} : { statusIdx: epoch(item.statusIdx) as number }),
    ...storedDetails(item.authz),
  };
  return { record, secretPhc: item.secretPhc, previousSecretPhc: item.previousSecretPhc };
}

/**
 * The item written for a new token. DynamoDB stores no empty sets, so no roles
 * means no attribute. A token that expires gets its first expiry warning (see
 * `expiry-warnings.ts`), which puts it in the expiry-warning index.
 */
export function newItem(record: TokenRecord, secretPhc: string): TokenItem {
  const warning = record.expiresAt === undefined ? null : expiryWarningAttributes(record.expiresAt, record.createdAt);
  return {
    ...warning,
    tokenId: record.tokenId,
    secretPhc,
    owner: record.owner,
    isAdmin: record.isAdmin,
    ...(record.roles.length > 0 ? { roles: new Set(record.roles) } : {}),
    ...(record.name === undefined ? {} : { name: record.name }),
    isRevoked: false,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.allowedIps?.length ? { allowedIps: [...record.allowedIps] } : {}),
    rev: record.revision,
    ownerRev: record.ownerRevision,
    ...(record.dpopJkt === undefined ? {} : { dpopJkt: record.dpopJkt }),
    ...(record.dpopBindOnFirstUse ? { dpopFirstUse: true } : {}),
    ...(record.statusIdx === undefined ? {} : { statusIdx: record.statusIdx }),
    ...(record.authorizationDetails?.length ? { authz: record.authorizationDetails } : {}),
  };
}
