import { isIP } from "node:net";
import { isJwkThumbprint, isScopeToken, isTokenId, isWellFormedText, MAX_DENY_VALUE_LENGTH } from "@patgate/shared";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { type AuthorizationTypes, NO_AUTHORIZATION_TYPES } from "../authorization/authorization-types.js";
import { checkDetails } from "./details-check.js";
import { invalid } from "./errors.js";
import type { IssueInput, ListOptions, RolesUpdate, TokenUpdate } from "./types.js";

/** Most entries an allow-list holds. */
export const MAX_ALLOWED_IPS = 32;

/** `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `x::/n`, normalised (an address alone gets /32 or /128). */
function checkCidr(entry: unknown, field: string): string {
  if (typeof entry !== "string" || entry.length > 64) throw invalid(field, "entries must be IPv4 or IPv6 CIDRs");
  const [address = "", prefixText, extra] = entry.trim().split("/");
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(String(prefix)) || prefix > bits) {
    throw invalid(field, `has an entry that is not an IPv4 or IPv6 CIDR (such as 203.0.113.0/24 or 2001:db8::/32)`);
  }
  return `${address.toLowerCase()}/${prefix}`;
}

/**
 * A per-token allow-list of client addresses: up to 32 IPv4/IPv6 CIDRs,
 * normalised and deduplicated. An empty list (or null, on update) removes it.
 */
export function checkAllowedIps(value: unknown, field = "allowedIps"): string[] {
  if (!Array.isArray(value)) throw invalid(field, "must be an array of IPv4 or IPv6 CIDRs");
  if (value.length > MAX_ALLOWED_IPS) throw invalid(field, `must hold at most ${MAX_ALLOWED_IPS} entries`);
  return [...new Set(value.map((entry) => checkCidr(entry, field)))];
}

/** At most this many roles on one token, each at most {@link MAX_ROLE_LENGTH} characters. */
export const MAX_ROLES = 50;
export const MAX_ROLE_LENGTH = 100;
/** An owner is a deny-list value (a `sub` mark), so it stays within {@link MAX_DENY_VALUE_LENGTH}. */
export const MAX_OWNER_LENGTH = Math.min(256, MAX_DENY_VALUE_LENGTH);
export const MAX_NAME_LENGTH = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

/** What every owner, name and role must be; see `isWellFormedText`. */
const NOT_WELL_FORMED = "must be well-formed text (no control characters or lone surrogates)";
const WHITESPACE = /\s/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function checkTokenId(value: unknown, field = "tokenId"): string {
  if (!isTokenId(value)) throw invalid(field, "must be 21 base62 characters");
  return value;
}

export function checkOwner(value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw invalid("owner", "must be a non-empty string");
  if (value.length > MAX_OWNER_LENGTH) throw invalid("owner", `must be at most ${MAX_OWNER_LENGTH} characters`);
  if (!isWellFormedText(value)) throw invalid("owner", NOT_WELL_FORMED);
  return value;
}

export function checkName(value: unknown): string {
  if (typeof value !== "string") throw invalid("name", "must be a string");
  if (value.length > MAX_NAME_LENGTH) throw invalid("name", `must be at most ${MAX_NAME_LENGTH} characters`);
  if (!isWellFormedText(value)) throw invalid("name", NOT_WELL_FORMED);
  return value;
}

export function checkIsAdmin(value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid("isAdmin", "must be a boolean");
  return value;
}

/**
 * A role list: unique (duplicates dropped), sorted, each role an OAuth scope
 * token (RFC 6749 §3.3: printable ASCII without space, `"` or `\`), since a
 * JWT's `scope` is its roles joined by spaces.
 *
 * With `stored: true` a role only has to be one that may already be stored
 * (well-formed text without whitespace, the rule before scope tokens): for
 * removing such a role, or filtering by it. None is ever granted in a JWT.
 */
export function checkRoles(value: unknown, field = "roles", { stored = false } = {}): string[] {
  if (!Array.isArray(value)) throw invalid(field, "must be an array of strings");
  for (const role of value) {
    if (typeof role !== "string" || role.length === 0) throw invalid(field, "must contain only non-empty strings");
    if (role.length > MAX_ROLE_LENGTH)
      throw invalid(field, `must contain roles of at most ${MAX_ROLE_LENGTH} characters`);
    if (!isWellFormedText(role)) throw invalid(field, `must contain roles that ${NOT_WELL_FORMED}`);
    if (WHITESPACE.test(role)) throw invalid(field, "must not contain whitespace");
    if (!stored && !isScopeToken(role))
      throw invalid(field, 'must contain OAuth scope tokens: printable ASCII without space, " or \\');
  }
  const roles = [...new Set(value as string[])].sort();
  if (roles.length > MAX_ROLES) throw invalid(field, `must hold at most ${MAX_ROLES} roles`);
  return roles;
}

/** An expiry: integer epoch seconds strictly in the future. */
export function checkExpiresAt(value: unknown, nowSeconds: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw invalid("expiresAt", "must be an integer epoch time in seconds");
  if (value <= nowSeconds) throw invalid("expiresAt", "must be in the future");
  return value;
}

/** A validated issue input, with defaults applied. */
export interface CheckedIssue {
  readonly owner: string;
  readonly isAdmin: boolean;
  readonly roles: string[];
  readonly name?: string;
  readonly expiresAt?: number;
  readonly tokenId?: string;
  readonly allowedIps?: string[];
  readonly dpopJkt?: string;
  readonly dpopBindOnFirstUse?: boolean;
  readonly authorizationDetails?: AuthorizationDetail[];
}

const ISSUE_KEYS = new Set([
  "owner",
  "isAdmin",
  "roles",
  "name",
  "expiresAt",
  "tokenId",
  "secretPhc",
  "allowedIps",
  "dpopJkt",
  "dpopBindOnFirstUse",
  "authorizationDetails",
]);

/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
export function checkDpopJkt(value: unknown): string {
  if (!isJwkThumbprint(value))
    throw invalid("dpopJkt", "must be an RFC 7638 SHA-256 JWK thumbprint (43 base64url characters)");
  return value;
}

/** The key binding of a new PAT: a thumbprint, or the first exchange's key, never both. */
function checkIssueBinding(input: Record<string, unknown>): Pick<CheckedIssue, "dpopJkt" | "dpopBindOnFirstUse"> {
  const firstUse = input.dpopBindOnFirstUse;
  if (firstUse !== undefined && typeof firstUse !== "boolean") throw invalid("dpopBindOnFirstUse", "must be a boolean");
  if (input.dpopJkt === undefined) return firstUse ? { dpopBindOnFirstUse: true } : {};
  if (firstUse) throw invalid("dpopJkt", "give a key or bind on first use, not both");
  return { dpopJkt: checkDpopJkt(input.dpopJkt) };
}

export function checkIssueInput(
  input: IssueInput | unknown,
  nowSeconds: number,
  types: AuthorizationTypes = NO_AUTHORIZATION_TYPES,
): CheckedIssue {
  if (!isRecord(input)) throw invalid("input", "must be an object");
  for (const key of Object.keys(input)) if (!ISSUE_KEYS.has(key)) throw invalid(key, "is not a known field");
  const name = input.name === undefined || input.name === "" ? undefined : checkName(input.name);
  return {
    owner: checkOwner(input.owner),
    isAdmin: input.isAdmin === undefined ? false : checkIsAdmin(input.isAdmin),
    roles: input.roles === undefined ? [] : checkRoles(input.roles),
    ...(name === undefined ? {} : { name }),
    ...(input.expiresAt === undefined ? {} : { expiresAt: checkExpiresAt(input.expiresAt, nowSeconds) }),
    ...(input.tokenId === undefined ? {} : { tokenId: checkTokenId(input.tokenId) }),
    ...(input.allowedIps === undefined ? {} : { allowedIps: checkAllowedIps(input.allowedIps) }),
    ...checkIssueBinding(input),
    ...(input.authorizationDetails === undefined
      ? {}
      : { authorizationDetails: checkDetails(input.authorizationDetails, types) }),
  };
}

/** A validated roles change. */
export type CheckedRoles =
  | { readonly kind: "replace"; readonly roles: string[] }
  | { readonly kind: "add"; readonly roles: string[] }
  | { readonly kind: "remove"; readonly roles: string[] };

function checkRolesUpdate(value: RolesUpdate | unknown): CheckedRoles {
  if (Array.isArray(value)) return { kind: "replace", roles: checkRoles(value) };
  if (!isRecord(value)) throw invalid("roles", "must be an array, {add: [...]} or {remove: [...]}");
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== "add" && keys[0] !== "remove")) {
    throw invalid("roles", "must be an array, {add: [...]} or {remove: [...]}");
  }
  const kind = keys[0];
  // A role stored before roles had to be scope tokens can still be removed.
  const roles = checkRoles(value[kind], `roles.${kind}`, { stored: kind === "remove" });
  if (roles.length === 0) throw invalid(`roles.${kind}`, "must name at least one role");
  return { kind, roles };
}

/** A validated update: every field optional, at least one present. */
export interface CheckedUpdate {
  readonly owner?: string;
  readonly isAdmin?: boolean;
  /** null removes the name. */
  readonly name?: string | null;
  /** null removes the expiry. */
  readonly expiresAt?: number | null;
  readonly roles?: CheckedRoles;
  /** null (or an empty list) removes the allow-list. */
  readonly allowedIps?: string[] | null;
  /** null unbinds. */
  readonly dpopJkt?: string | null;
  /** null (or an empty list) removes the details. */
  readonly authorizationDetails?: AuthorizationDetail[] | null;
}

// Authorization details can be updated too (replaced, or removed with null).
const UPDATE_KEYS = new Set(["owner", "isAdmin", "name", "expiresAt", "roles", "allowedIps", "dpopJkt"]);
UPDATE_KEYS.add("authorizationDetails");

export function checkUpdate(
  changes: TokenUpdate | unknown,
  nowSeconds: number,
  types: AuthorizationTypes = NO_AUTHORIZATION_TYPES,
): CheckedUpdate {
  if (!isRecord(changes)) throw invalid("changes", "must be an object");
  const keys = Object.keys(changes).filter((key) => changes[key] !== undefined);
  for (const key of keys) if (!UPDATE_KEYS.has(key)) throw invalid(key, "is not a field that can be updated");
  if (keys.length === 0) throw invalid("changes", "must change at least one field");
  const name = changes.name === undefined ? undefined : checkName(changes.name);
  return {
    ...(changes.owner === undefined ? {} : { owner: checkOwner(changes.owner) }),
    ...(changes.isAdmin === undefined ? {} : { isAdmin: checkIsAdmin(changes.isAdmin) }),
    ...(name === undefined ? {} : { name: name === "" ? null : name }),
    ...(changes.expiresAt === undefined
      ? {}
      : { expiresAt: changes.expiresAt === null ? null : checkExpiresAt(changes.expiresAt, nowSeconds) }),
    ...(changes.roles === undefined ? {} : { roles: checkRolesUpdate(changes.roles) }),
    ...(changes.allowedIps === undefined
      ? {}
      : { allowedIps: changes.allowedIps === null ? null : checkAllowedIps(changes.allowedIps) }),
    ...(changes.dpopJkt === undefined
      ? {}
      : { dpopJkt: changes.dpopJkt === null ? null : checkDpopJkt(changes.dpopJkt) }),
    ...(changes.authorizationDetails === undefined
      ? {}
      : {
          authorizationDetails:
            changes.authorizationDetails === null ? null : checkDetails(changes.authorizationDetails, types),
        }),
  };
}

/** Validated list options with defaults applied; the cursor is decoded elsewhere. */
export interface CheckedList {
  readonly limit: number;
  readonly cursor?: string;
  readonly owner?: string;
  readonly hasRole?: string;
  readonly includeRevoked: boolean;
  readonly includeExpired: boolean;
}

const LIST_KEYS = new Set(["limit", "cursor", "owner", "hasRole", "includeRevoked", "includeExpired"]);

export function checkListOptions(options: ListOptions | unknown = {}): CheckedList {
  if (!isRecord(options)) throw invalid("options", "must be an object");
  for (const key of Object.keys(options)) if (!LIST_KEYS.has(key)) throw invalid(key, "is not a list option");
  const { limit = DEFAULT_PAGE_SIZE, cursor, owner, hasRole, includeRevoked = true, includeExpired = true } = options;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalid("limit", `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (cursor !== undefined && (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 1024)) {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  if (hasRole !== undefined) checkRoles([hasRole], "hasRole", { stored: true });
  if (typeof includeRevoked !== "boolean") throw invalid("includeRevoked", "must be a boolean");
  if (typeof includeExpired !== "boolean") throw invalid("includeExpired", "must be a boolean");
  return {
    limit,
    ...(cursor === undefined ? {} : { cursor: cursor as string }),
    ...(owner === undefined ? {} : { owner: checkOwner(owner) }),
    ...(hasRole === undefined ? {} : { hasRole: hasRole as string }),
    includeRevoked,
    includeExpired,
  };
}

/** Longest grace period of a rotation: the old secret works at most a week longer. */
export const MAX_GRACE_SECONDS = 7 * 86_400;

/** A rotation's grace period in seconds: an integer from 0 to 7 days. */
export function checkGraceSeconds(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_GRACE_SECONDS) {
    throw invalid("graceSeconds", `must be an integer from 0 to ${MAX_GRACE_SECONDS} (7 days)`);
  }
  return value;
}
