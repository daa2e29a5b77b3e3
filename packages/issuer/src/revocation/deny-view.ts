import {
  type DenyCheckClaims,
  type DenyEntry,
  denyEntryField,
  findDenial,
  type RevocationEvent,
} from "@patgate/shared";

/**
 * The issuer's own view of the deny-list, fed by revocation events: it
 * rejects denied JWTs on the admin API and `/introspect`, and tells the minter
 * the lowest `iat` a new JWT for a marked PAT or owner must carry.
 */
export interface DenyView {
  apply(event: RevocationEvent): void;
  /** The entry that denies these claims, if any. */
  check(claims: DenyCheckClaims, nowSeconds: number): DenyEntry | undefined;
  /** Highest live not-before mark on this token id or owner, if any. */
  minIatFor(tokenId: string, owner: string, nowSeconds: number): number | undefined;
  readonly size: number;
}

/** Entries kept at most; the oldest-expiring go first when full. */
const MAX_ENTRIES = 1_000_000;

export function createDenyView(): DenyView {
  const entries = new Map<string, DenyEntry>();
  let sweepAt = 0;

  function sweep(nowSeconds: number): void {
    if (nowSeconds < sweepAt && entries.size < MAX_ENTRIES) return;
    sweepAt = nowSeconds + 60;
    for (const [field, entry] of entries) if (entry.expiresAt <= nowSeconds) entries.delete(field);
  }

  function liveMark(field: string, nowSeconds: number): number | undefined {
    const entry = entries.get(field);
    return entry && entry.kind !== "jti" && entry.expiresAt > nowSeconds ? entry.notBefore : undefined;
  }

  return {
    apply(event) {
      if (event.type !== "deny") return;
      const field = denyEntryField(event.entry);
      const previous = entries.get(field);
      // Marks only grow: a replayed or reordered older event never weakens one.
      if (previous && previous.kind !== "jti" && event.entry.kind !== "jti") {
        entries.set(field, {
          ...event.entry,
          notBefore: Math.max(previous.notBefore, event.entry.notBefore),
          expiresAt: Math.max(previous.expiresAt, event.entry.expiresAt),
        });
      } else {
        entries.set(
          field,
          previous ? { ...event.entry, expiresAt: Math.max(previous.expiresAt, event.entry.expiresAt) } : event.entry,
        );
      }
      sweep(Math.floor(Date.now() / 1000));
    },
    check(claims, nowSeconds) {
      return findDenial(claims, (field) => entries.get(field), nowSeconds);
    },
    minIatFor(tokenId, owner, nowSeconds) {
      const marks = [liveMark(`client:${tokenId}`, nowSeconds), liveMark(`sub:${owner}`, nowSeconds)].filter(
        (m): m is number => m !== undefined,
      );
      return marks.length > 0 ? Math.max(...marks) : undefined;
    },
    get size() {
      return entries.size;
    },
  };
}
