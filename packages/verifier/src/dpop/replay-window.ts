import { createHash } from "node:crypto";

/**
 * The `jti` replay check of DPoP proofs at a resource server (RFC 9449
 * §11.1), in this process: a proof is used at most once while its `iat` could
 * still be accepted. Synchronous, so it costs the fast path no promise.
 */
export interface ReplayWindow {
  /** True the first time this key's `jti` is seen in the window; false for a replay; "full" when it cannot remember more. */
  firstUse(jkt: string, jti: string, nowMs: number): boolean | "full";
  readonly size: number;
}

/** A fixed-length id of the proof: its key's thumbprint and its `jti` (both client-chosen, so hashed). */
function proofId(jkt: string, jti: string): string {
  return createHash("sha256").update(jkt).update("\0").update(jti).digest("base64url");
}

/**
 * Every proof seen in the last `windowMs` (every accepted `iat` lies within
 * `maxAge` of now either way, so 2 × maxAge + 1 s). One window for all, so
 * insertion order is expiry order and a sweep stops at the first live entry.
 * When full of live proofs it says "full" (the caller fails closed) rather
 * than forgetting one, which would open a replay.
 */
export function createReplayWindow(maxAgeSeconds: number, capacity: number): ReplayWindow {
  const windowMs = (2 * maxAgeSeconds + 1) * 1000;
  const seen = new Map<string, number>();
  return {
    firstUse(jkt, jti, nowMs) {
      for (const [id, until] of seen) {
        if (until > nowMs) break;
        seen.delete(id);
      }
      const id = proofId(jkt, jti);
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
