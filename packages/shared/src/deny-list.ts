/**
 * The deny-list contract between the issuer (which writes entries) and every
 * verifier (which follows them).
 *
 * - `jti`: one JWT is denied.
 * - `client` / `sub`: a revision mark on a PAT (its token id, the JWT's
 *   `client_id`) or on an owner (the JWT's `sub`): every JWT derived from a
 *   revision below `minRev` is denied, later ones pass.
 *
 * Marks compare revisions, not times. Every change to a PAT record bumps its
 * revision (and revoking an owner bumps the owner's), and a JWT carries the
 * revisions it was derived from (`client_rev`, `sub_rev`). An exchange that
 * read revision 7 before a revocation (revision 8) was stored mints a JWT
 * that "deny below 8" catches, however long its scrypt took and whatever the
 * issuers' clocks say; a restore (revision 9) mints JWTs that pass.
 */
import { isWellFormedText } from "./text.js";

export type DenyEntry =
  | { readonly kind: "jti"; readonly value: string; readonly expiresAt: number }
  | { readonly kind: "client" | "sub"; readonly value: string; readonly minRev: number; readonly expiresAt: number };

export type DenyKind = DenyEntry["kind"];

/** What flows on the revocation change stream. */
export type RevocationEvent =
  /** A deny-list entry was written; verifiers add it, issuers drop cached PATs it covers. */
  | { readonly type: "deny"; readonly entry: DenyEntry }
  /** A PAT changed (update, restore, role added); issuers drop it from their verified-PAT cache. */
  | { readonly type: "token_changed"; readonly tokenId: string };

/**
 * The claims a deny-list decision reads. A JWT without a revision claim (one
 * minted before revisions existed) counts as revision 0: any mark denies it.
 */
export interface DenyCheckClaims {
  readonly jti: string;
  readonly client_id: string;
  readonly sub: string;
  /** Revision of the PAT record the JWT was derived from. */
  readonly client_rev?: number;
  /** Revision of the owner the JWT was derived from. */
  readonly sub_rev?: number;
}

/** The hash field an entry is stored under: `jti:<id>`, `client:<tokenId>`, `sub:<owner>`. */
export function denyEntryField(entry: Pick<DenyEntry, "kind" | "value">): string {
  return `${entry.kind}:${entry.value}`;
}

/**
 * The one merge rule, wherever entries meet (the Redis script, every
 * verifier's list, the issuer's view): a mark and a lifetime only ever grow,
 * so a replayed or reordered older event never weakens what is known.
 */
export function mergeDenyEntry(previous: DenyEntry | undefined, next: DenyEntry): DenyEntry {
  if (!previous || previous.kind !== next.kind) return next;
  const expiresAt = Math.max(previous.expiresAt, next.expiresAt);
  if (previous.kind === "jti" || next.kind === "jti") return { ...next, expiresAt };
  return { ...next, minRev: Math.max(previous.minRev, next.minRev), expiresAt };
}

/** Looks up the current entry for a field, or undefined. */
export type DenyLookup = (field: string) => DenyEntry | undefined;

function revisionOf(value: number | undefined): number {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : 0;
}

/**
 * Which entry denies these claims at `nowSeconds`, if any. Expired entries
 * are ignored: by then every JWT they could match has expired too.
 */
export function findDenial(claims: DenyCheckClaims, lookup: DenyLookup, nowSeconds: number): DenyEntry | undefined {
  const byJti = lookup(`jti:${claims.jti}`);
  if (byJti && byJti.expiresAt > nowSeconds) return byJti;
  const client = lookup(`client:${claims.client_id}`);
  if (
    client &&
    client.kind === "client" &&
    client.expiresAt > nowSeconds &&
    revisionOf(claims.client_rev) < client.minRev
  )
    return client;
  const sub = lookup(`sub:${claims.sub}`);
  if (sub && sub.kind === "sub" && sub.expiresAt > nowSeconds && revisionOf(claims.sub_rev) < sub.minRev) return sub;
  return undefined;
}

const KINDS: ReadonlySet<string> = new Set(["jti", "client", "sub"]);

/**
 * Longest value (jti, token id, owner) a deny entry carries, in UTF-16 code
 * units; the admin API refuses longer input before anything is recorded.
 */
export const MAX_DENY_VALUE_LENGTH = 512;

/**
 * Whether `value` can be a deny entry's value: 1 to {@link MAX_DENY_VALUE_LENGTH}
 * characters of well-formed text ({@link isWellFormedText}), which the Lua
 * `cjson` of the deny-list writer accepts and every follower reads back unchanged.
 *
 * @example
 * isDenyValue("alice") // true
 * isDenyValue("\ud800") // false
 */
export function isDenyValue(value: string): boolean {
  return value.length > 0 && value.length <= MAX_DENY_VALUE_LENGTH && isWellFormedText(value);
}

function isEpoch(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Validates an entry read from Redis or the stream; null when malformed. */
export function parseDenyEntry(value: unknown): DenyEntry | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== "string" || !KINDS.has(v.kind)) return null;
  // Length only: a value read back from Redis went through cjson, so it is already well-formed.
  if (typeof v.value !== "string" || v.value.length === 0 || v.value.length > MAX_DENY_VALUE_LENGTH) return null;
  if (!isEpoch(v.expiresAt)) return null;
  if (v.kind === "jti") return { kind: "jti", value: v.value, expiresAt: v.expiresAt };
  if (!isEpoch(v.minRev)) return null;
  return { kind: v.kind as "client" | "sub", value: v.value, minRev: v.minRev, expiresAt: v.expiresAt };
}

/** Validates an event read from the change stream; null when malformed. */
export function parseRevocationEvent(value: unknown): RevocationEvent | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.type === "deny") {
    const entry = parseDenyEntry(v.entry);
    return entry ? { type: "deny", entry } : null;
  }
  if (v.type === "token_changed" && typeof v.tokenId === "string" && v.tokenId.length > 0) {
    return { type: "token_changed", tokenId: v.tokenId };
  }
  return null;
}
