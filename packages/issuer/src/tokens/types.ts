import type { ParsePatResult, PatVerifyFailure, ScryptParams, SecretCheck } from "@patgate/shared";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import type { AuthorizationTypes } from "../authorization/authorization-types.js";
import type { OwnerRevisions } from "./owner-revisions.js";

/**
 * A PAT as stored in DynamoDB, without its secret hash. Times are epoch
 * seconds. `expiresAt` is also the table's TTL attribute.
 */
export interface TokenRecord {
  readonly tokenId: string;
  readonly owner: string;
  readonly isAdmin: boolean;
  /** Sorted, unique; empty when the token has none (DynamoDB stores no empty sets). */
  readonly roles: readonly string[];
  readonly name?: string;
  readonly isRevoked: boolean;
  readonly revokedAt?: number;
  readonly expiresAt?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastUsedAt?: number;
  readonly lastUsedIp?: string;
  /**
   * Bumped by every change to the record (0 for records written before
   * revisions existed). A JWT carries it as `client_rev`; a deny mark
   * "below N" denies every JWT derived from an older state.
   */
  readonly revision: number;
  /** Client addresses (IPv4/IPv6 CIDRs) the PAT may be exchanged from; absent: anywhere. */
  readonly allowedIps?: readonly string[];
  /** The last few addresses it was exchanged from, newest first. */
  readonly recentIps?: readonly string[];
  /** After a rotation with a grace period: when the previous secret stops working (epoch s). */
  readonly previousSecretExpiresAt?: number;
  /** The owner's revision when this PAT was created, restored or moved: below the owner's current one means revoked with the owner. */
  readonly ownerRevision: number;
  /** RFC 7638 SHA-256 thumbprint of the key every exchange must prove (DPoP); absent: not bound. */
  readonly dpopJkt?: string;
  /** True until the first exchange with a proof binds the PAT to that proof's key. */
  readonly dpopBindOnFirstUse?: boolean;
  /** The Token Status List index of this PAT's JWTs (status-list/); replaced by every change that denies earlier JWTs. */
  readonly statusIdx?: number;
  /** RFC 9396 details: the most its JWTs may carry (see docs/authorization.md); absent: none. */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

/** A conditional write: applied only if the record is still at `expectedRevision`. */
export interface WriteOptions {
  /** The revision the change was computed from; a `RevisionConflictError` when the record moved on. */
  readonly expectedRevision?: number;
  /** A fresh status index for the new revision (a change that denies earlier JWTs; see status-list/). */
  readonly statusIdx?: number;
}

/** Input of `issue`: a new token with a random id and secret. */
export interface IssueInput {
  readonly owner: string;
  readonly isAdmin?: boolean;
  readonly roles?: readonly string[];
  readonly name?: string;
  /** Epoch seconds; must be in the future. Omit for a token that never expires. */
  readonly expiresAt?: number;
  /** A chosen id (21 base62 chars); random when omitted. */
  readonly tokenId?: string;
  /** Client addresses (IPv4/IPv6 CIDRs, at most 32) it may be exchanged from; omit for anywhere. */
  readonly allowedIps?: readonly string[];
  /** Bound to this key (an RFC 7638 SHA-256 thumbprint): every exchange needs a DPoP proof by it. */
  readonly dpopJkt?: string;
  /** Bound to the key of the first exchange with a DPoP proof (exclusive with `dpopJkt`). */
  readonly dpopBindOnFirstUse?: boolean;
  /** RFC 9396 details within the declared types (at most 20). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

/** Input of `register`: a token made elsewhere by `generate` (or `@access-tokens/core`). */
export interface RegisterInput extends IssueInput {
  readonly tokenId: string;
  readonly secretPhc: string;
}

/** Roles change: replace all, or add / remove atomically (concurrent changes lose nothing). */
export type RolesUpdate =
  | readonly string[]
  | { readonly add: readonly string[]; readonly remove?: never }
  | { readonly remove: readonly string[]; readonly add?: never };

/** Fields `update` may change; absent fields are left alone. */
export interface TokenUpdate {
  readonly owner?: string;
  readonly isAdmin?: boolean;
  /** Empty string removes the name. */
  readonly name?: string;
  /** Epoch seconds in the future, or null to remove the expiry. */
  readonly expiresAt?: number | null;
  readonly roles?: RolesUpdate;
  /** Replaces the allow-list; null or [] removes it. */
  readonly allowedIps?: readonly string[] | null;
  /** Binds to another key (a change like a role removal: JWTs bound to the old key are denied); null unbinds. */
  readonly dpopJkt?: string | null;
  /** Replaces the details; null or [] removes them (taking authority away denies older JWTs). */
  readonly authorizationDetails?: readonly AuthorizationDetail[] | null;
}

/** Outcome of binding a PAT to the key of its first exchange: who won, and the record after. */
export interface DpopBinding {
  /** True when this call wrote the binding; false when the PAT was already bound (to `record.dpopJkt`). */
  readonly won: boolean;
  readonly record: TokenRecord;
}

export type PatVerifyResult =
  | {
      readonly ok: true;
      readonly record: TokenRecord;
      /** Set when the PAT matched the secret a rotation replaced: it works until then (epoch s). */
      readonly secretValidUntil?: number;
    }
  | {
      readonly ok: false;
      readonly reason: PatVerifyFailure;
      /** Present for `revoked` and `expired` only: the caller proved it holds the secret. */
      readonly record?: TokenRecord;
    };

/** Result of revoke / restore: the record after the call, and whether it changed anything. */
export interface StateChange {
  readonly record: TokenRecord;
  readonly changed: boolean;
}

export interface ListOptions {
  /** Page size, 1-100; default 50. */
  readonly limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string;
  /** Only this owner's tokens (a Query on `owner-index`, not a Scan). */
  readonly owner?: string;
  /** Only tokens carrying this role. */
  readonly hasRole?: string;
  /** Include revoked tokens; default true. */
  readonly includeRevoked?: boolean;
  /** Include expired tokens; default true. */
  readonly includeExpired?: boolean;
}

export interface ListPage {
  readonly items: readonly TokenRecord[];
  /** Present when there may be more; pass it back as `cursor`. */
  readonly nextCursor?: string;
}

export interface GenerateResult {
  /** The full PAT: shown once, never stored. */
  readonly token: string;
  readonly tokenId: string;
  readonly secretPhc: string;
}

export interface BatchLoadResult {
  readonly found: readonly TokenRecord[];
  readonly notFound: readonly string[];
}

/** The DynamoDB-backed PAT store. Every method validates its input and throws a `TokenStoreError` on bad input. */
export interface TokenStore {
  readonly tableName: string;
  /** Creates a token with a random secret; the full PAT is returned once. */
  issue(input: IssueInput): Promise<{ readonly token: string; readonly record: TokenRecord }>;
  /**
   * Checks a PAT (the string, or what `parsePat` made of it): format, lookup,
   * hash, secret, then revoked (the token, or its owner since) / expired.
   * Expected failures are values.
   */
  verify(token: string | ParsePatResult): Promise<PatVerifyResult>;
  /** Makes a token id, secret and PHC without storing anything. */
  generate(options?: { readonly tokenId?: string }): Promise<GenerateResult>;
  /** Stores a token whose PHC was made elsewhere. */
  register(input: RegisterInput): Promise<TokenRecord>;
  /** The record, or null when no token has this id. */
  get(tokenId: string): Promise<TokenRecord | null>;
  /** Applies changes and returns the record after them. Throws not_found for a missing id. */
  update(tokenId: string, changes: TokenUpdate, options?: WriteOptions): Promise<TokenRecord>;
  /** Marks revoked, keeping the original expiry. Idempotent. */
  revoke(tokenId: string, options?: WriteOptions): Promise<StateChange>;
  /**
   * A new secret for the same token id (the full PAT returned once). The old
   * secret keeps working for `graceSeconds` (0 to 7 days) and never after; a
   * rotation during a grace period ends the older secret at once.
   */
  rotate(
    tokenId: string,
    options: WriteOptions & { readonly graceSeconds: number },
  ): Promise<{ readonly token: string; readonly record: TokenRecord }>;
  /** Lifts a revocation (and one of its owner's, for this PAT). Idempotent. */
  restore(tokenId: string, options?: WriteOptions): Promise<StateChange>;
  /** Owner revisions: read by `verify`, advanced by an owner revocation. */
  readonly owners: OwnerRevisions;
  /** A page of tokens, newest last, with a cursor for the next. */
  list(options?: ListOptions): Promise<ListPage>;
  /** Loads many tokens by id (100 per BatchGet, unprocessed keys retried). */
  batchLoad(tokenIds: Iterable<string>): Promise<BatchLoadResult>;
  /** Records a successful use, at most once a minute per token; never recreates a deleted item. */
  touch(
    tokenId: string,
    usage: { readonly at: number; readonly ip?: string; readonly recentIps?: readonly string[] },
  ): Promise<void>;
  /**
   * Binds a PAT waiting for its first exchange to `jkt`, by a conditional
   * write: of racing calls with different keys exactly one wins, and the
   * others get the record bound to the winner's key. Throws not_found.
   */
  bindDpopKey(tokenId: string, jkt: string): Promise<DpopBinding>;
  /** Resolves when the table answers (for /readyz). */
  ping(): Promise<void>;
  /** The declared authorization detail types new details are checked against; absent: none declared. */
  readonly authorizationTypes?: AuthorizationTypes;
}

/** Options of `createTokenStore`. */
export interface TokenStoreOptions {
  readonly tableName: string;
  /** PAT prefix; default `pat_`. */
  readonly tokenPrefix?: string;
  /** scrypt cost for new secrets; default ln=14,r=8,p=1. */
  readonly scrypt?: ScryptParams;
  /** Current time in epoch ms; default `Date.now`. */
  readonly now?: () => number;
  /**
   * The longest lifetime a PAT may have, seconds (`PATGATE_MAX_TOKEN_LIFETIME`):
   * a PAT created without an expiry gets it, and no create, update or rotation
   * may go beyond it. Undefined: PATs may never expire.
   */
  readonly maxLifetimeSeconds?: number;
  /** The owner table; default `<tableName>-owners`. */
  readonly ownerTableName?: string;
  /**
   * The secret check every verification runs (the dummy one for a missing
   * token id included); default scrypt, unbudgeted. The issuer passes its
   * scrypt budget's (`createScryptBudget`), so a flood queues and is shed in
   * one place instead of on the thread pool; a shed check throws `ScryptBusyError`.
   */
  readonly verifySecret?: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
  /** Hands out a Token Status List index for each new token (status-list/); absent: none. */
  readonly allocateStatusIndex?: () => Promise<number>;
  /** The declared RFC 9396 types (`PATGATE_AUTHORIZATION_TYPES`); default none, so no PAT may carry details. */
  readonly authorizationTypes?: AuthorizationTypes;
}
