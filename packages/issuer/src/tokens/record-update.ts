import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { takesAuthorityAway } from "../authorization/coverage.js";
import { invalid } from "./errors.js";
import type { TokenRecord } from "./types.js";
import { type CheckedUpdate, MAX_ROLES } from "./validation.js";

/** What an update sets on the record, computed from the record it applies to. */
export interface RecordChange {
  readonly owner?: string;
  readonly isAdmin?: boolean;
  /** null removes the name. */
  readonly name?: string | null;
  /** null removes the expiry. */
  readonly expiresAt?: number | null;
  readonly roles?: readonly string[];
  /** null removes the allow-list. */
  readonly allowedIps?: readonly string[] | null;
  /** null unbinds (and ends a first-use binding still waiting). */
  readonly dpopJkt?: string | null;
  /** null removes the details. */
  readonly authorizationDetails?: readonly AuthorizationDetail[] | null;
}

/**
 * Applies a checked update to the record it was read with. Role additions and
 * removals are resolved here against that record; the write is conditional on
 * the record's revision, so a concurrent change makes it retry from a fresh
 * read and nothing is lost.
 */
export function changeFor(before: TokenRecord, update: CheckedUpdate): RecordChange {
  let roles: readonly string[] | undefined;
  if (update.roles?.kind === "replace") roles = [...new Set(update.roles.roles)].sort();
  else if (update.roles?.kind === "add") {
    roles = [...new Set([...before.roles, ...update.roles.roles])].sort();
    if (roles.length > MAX_ROLES) throw invalid("roles.add", `would give the token more than ${MAX_ROLES} roles`);
  } else if (update.roles?.kind === "remove") {
    const removed = new Set(update.roles.roles);
    roles = before.roles.filter((role) => !removed.has(role));
  }
  return {
    ...(update.owner === undefined ? {} : { owner: update.owner }),
    ...(update.isAdmin === undefined ? {} : { isAdmin: update.isAdmin }),
    ...(update.name === undefined ? {} : { name: update.name }),
    ...(update.expiresAt === undefined ? {} : { expiresAt: update.expiresAt }),
    ...(roles === undefined ? {} : { roles }),
    ...(update.allowedIps === undefined ? {} : { allowedIps: update.allowedIps?.length ? update.allowedIps : null }),
    ...(update.dpopJkt === undefined ? {} : { dpopJkt: update.dpopJkt }),
    ...(update.authorizationDetails === undefined
      ? {}
      : { authorizationDetails: update.authorizationDetails?.length ? update.authorizationDetails : null }),
  };
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((entry) => b.includes(entry));
}

/**
 * True when the change takes something away: a role, the admin flag, the
 * owner, or time (an expiry brought forward or set), or the
 * key a PAT is bound to (another key). JWTs minted from the
 * record before such a change must be denied.
 */
export function isRestricting(before: TokenRecord, change: RecordChange): boolean {
  const kept = new Set(change.roles ?? before.roles);
  const expiresAt = change.expiresAt === undefined ? before.expiresAt : (change.expiresAt ?? undefined);
  return (
    before.roles.some((role) => !kept.has(role)) ||
    (before.isAdmin && change.isAdmin === false) ||
    // Setting or narrowing an allow-list takes addresses away (a JWT minted elsewhere must die).
    (change.allowedIps !== undefined &&
      change.allowedIps !== null &&
      !sameList(before.allowedIps, change.allowedIps)) ||
    (change.owner !== undefined && change.owner !== before.owner) ||
    // Binding to another key: JWTs bound to the old key (or unbound ones) must die.
    (change.dpopJkt !== undefined && change.dpopJkt !== null && change.dpopJkt !== before.dpopJkt) ||
    // Authorization details removed or narrowed: like a role removal.
    (change.authorizationDetails !== undefined &&
      takesAuthorityAway(before.authorizationDetails, change.authorizationDetails ?? undefined)) ||
    (expiresAt !== undefined && (before.expiresAt === undefined || expiresAt < before.expiresAt))
  );
}
