import { createHash } from "node:crypto";

/**
 * The `jti` replay check of DPoP proofs (RFC 9449 §11.1) kept in one
 * process: the issuer's embedded default and the verifier's per-process
 * window. Shared stores (Redis) key a proof by {@link dpopProofId} too.
 */

/** A fixed-length id of a proof: its key's thumbprint and its `jti` (both client-chosen, so hashed). */
export function dpopProofId(jkt: string, jti: string): string {
  return createHash("sha256").update(jkt).update("\0").update(jti).digest("base64url");
}

/**
 * How long a proof is remembered: every `iat` accepted lies within
 * `maxAgeSeconds` of now either way, so a proof can be replayed for at most
 * twice that; a second more covers rounding.
 */
export function dpopReplayWindowMs(maxAgeSeconds: number): number {
  return (2 * maxAgeSeconds + 1) * 1000;
}

/** Proofs seen in the last window, in memory. Synchronous, so it costs a fast path no promise. */
export interface DpopReplayWindow {
  /** True the first time this key's `jti` is seen in the window; false for a replay; "full" when it cannot remember more. */
  firstUse(jkt: string, jti: string, nowMs: number): boolean | "full";
  readonly size: number;
}

/**
 * Every proof seen in the last `windowMs`. One window for all, so insertion
 * order is expiry order and a sweep stops at the first live entry. When full
 * of live proofs it says "full" (the caller fails closed) rather than
 * forgetting one, which would open a replay.
 */
export function createDpopReplayWindow(windowMs: number, capacity: number): DpopReplayWindow {
  /** Proof id → the epoch ms it may be forgotten at. */
  const seen = new Map<string, number>();
  return {
    firstUse(jkt, jti, nowMs) {
      for (const [id, until] of seen) {
        if (until > nowMs) break;
        seen.delete(id);
      }
      const id = dpopProofId(jkt, jti);
      if (seen.has(id)) return false;
      if (seen.size >= capacity) return "full";
      seen.set(id, nowMs + windowMs);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
