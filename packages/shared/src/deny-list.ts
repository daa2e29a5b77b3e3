/**
 * The deny-list contract between the issuer (which writes entries) and every
 * verifier (which follows them).
 *
 * - `jti`: one JWT is denied, whatever its `iat`.
 * - `client` / `sub`: a not-before mark on a PAT (its token id, the JWT's
 *   `client_id`) or on an owner (the JWT's `sub`): every JWT with
 *   `iat < notBefore` is denied, later ones pass.
 *
 * `iat` has one-second granularity, so a mark made at time t (ms) gets
 * `notBefore = floor(t / 1000) + 1`: every JWT minted before the change has
 * `iat <= floor(t / 1000)` and is denied. The issuer mints JWTs for a marked
 * PAT or owner with `iat >= notBefore`, so one minted just after the change
 * is never denied.
 */
import { isWellFormedText } from "./text.js";

export type DenyEntry =
  | { readonly kind: "jti"; readonly value: string; readonly expiresAt: number }
  | { readonly kind: "client" | "sub"; readonly value: string; readonly notBefore: number; readonly expiresAt: number };

export type DenyKind = DenyEntry["kind"];

/** What flows on the revocation change stream. */
export type RevocationEvent =
  /** A deny-list entry was written; verifiers add it, issuers drop cached PATs it covers. */
  | { readonly type: "deny"; readonly entry: DenyEntry }
  /** A PAT changed (update, restore, role added); issuers drop it from their verified-PAT cache. */
  | { readonly type: "token_changed"; readonly tokenId: string };

/** The claims a deny-list decision reads. */
export interface DenyCheckClaims {
  readonly jti: string;
  readonly client_id: string;
  readonly sub: string;
  readonly iat: number;
}

/** The not-before mark for a change made at `changedAtMs` (epoch ms). */
export function notBeforeMark(changedAtMs: number): number {
  return Math.floor(changedAtMs / 1000) + 1;
}

/** The hash field an entry is stored under: `jti:<id>`, `client:<tokenId>`, `sub:<owner>`. */
export function denyEntryField(entry: Pick<DenyEntry, "kind" | "value">): string {
  return `${entry.kind}:${entry.value}`;
}

/** Looks up the current entry for a field, or undefined. */
export type DenyLookup = (field: string) => DenyEntry | undefined;

/**
 * Which entry denies these claims at `nowSeconds`, if any. Expired entries
 * are ignored: by then every JWT they could match has expired too.
 */
export function findDenial(claims: DenyCheckClaims, lookup: DenyLookup, nowSeconds: number): DenyEntry | undefined {
  const byJti = lookup(`jti:${claims.jti}`);
  if (byJti && byJti.expiresAt > nowSeconds) return byJti;
  for (const field of [`client:${claims.client_id}`, `sub:${claims.sub}`]) {
    const entry = lookup(field);
    if (entry && entry.kind !== "jti" && entry.expiresAt > nowSeconds && claims.iat < entry.notBefore) return entry;
  }
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
  if (!isEpoch(v.notBefore)) return null;
  return { kind: v.kind as "client" | "sub", value: v.value, notBefore: v.notBefore, expiresAt: v.expiresAt };
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
