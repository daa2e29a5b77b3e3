import { createHash } from "node:crypto";
import { type RedisKeys, settleWithin } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { StoreUnavailableError } from "../tokens/errors.js";

/**
 * The `jti` replay check of DPoP proofs (RFC 9449 §11.1): a proof is used at
 * most once while its `iat` could still be accepted. In Redis every issuer
 * sharing it sees every proof; in the embedded default, a bounded window in memory.
 */
export interface ProofReplayGuard {
  /** True the first time this key's `jti` is seen within `windowMs`; false for a replay. */
  firstUse(jkt: string, jti: string, nowMs: number): Promise<boolean>;
}

/** Longest wait on Redis before the exchange is answered 503 (a proof is never accepted unchecked). */
const REPLAY_WAIT_MS = 500;
/** Proofs remembered in memory at most; past it, new ones are refused until old ones age out. */
export const MEMORY_REPLAY_CAPACITY = 200_000;

/** A fixed-length id of the proof: its key's thumbprint and its `jti` (both client-chosen, so hashed). */
function proofId(jkt: string, jti: string): string {
  return createHash("sha256").update(jkt).update("\0").update(jti).digest("base64url");
}

/** Thrown when the memory window is full of live proofs: 503, retry shortly. */
export class ReplayWindowFullError extends StoreUnavailableError {
  constructor() {
    super("the DPoP replay window is full");
  }
}

/**
 * Every proof seen in the last `windowMs`, in memory (one process). When full
 * of proofs still in their window, new proofs are refused (503) rather than an
 * old one forgotten, which would open a replay.
 */
export function createMemoryReplayGuard(windowMs: number, capacity = MEMORY_REPLAY_CAPACITY): ProofReplayGuard {
  /** Proof id → the epoch ms it may be forgotten at; insertion order is expiry order (one window for all). */
  const seen = new Map<string, number>();
  function sweep(nowMs: number): void {
    for (const [id, until] of seen) {
      if (until > nowMs) break;
      seen.delete(id);
    }
  }
  return {
    async firstUse(jkt, jti, nowMs) {
      const id = proofId(jkt, jti);
      sweep(nowMs);
      const until = seen.get(id);
      if (until !== undefined && until > nowMs) return false;
      if (seen.size >= capacity) throw new ReplayWindowFullError();
      seen.set(id, nowMs + windowMs);
      return true;
    },
  };
}

/**
 * Proofs seen by any issuer on this Redis: `SET key 1 NX PX windowMs`, one
 * atomic command, so of two issuers receiving the same proof exactly one gets
 * OK. Redis down or silent: a {@link StoreUnavailableError} (503).
 */
export function createRedisReplayGuard(redis: RedisConnection, keys: RedisKeys, windowMs: number): ProofReplayGuard {
  return {
    async firstUse(jkt, jti) {
      const key = keys.dpopProofSeen(proofId(jkt, jti));
      let answer: string | null;
      try {
        answer = await settleWithin(
          redis.set(key, "1", "PX", windowMs, "NX"),
          REPLAY_WAIT_MS,
          () => new StoreUnavailableError("no answer from Redis for the DPoP replay check"),
          false,
        );
      } catch (error) {
        if (error instanceof StoreUnavailableError) throw error;
        throw new StoreUnavailableError("Redis failed the DPoP replay check");
      }
      return answer === "OK";
    },
  };
}

/**
 * How long a proof is remembered: every `iat` accepted lies within
 * `maxAgeSeconds` of now either way, so a proof can be replayed for at most
 * twice that; a second more covers rounding.
 */
export function replayWindowMs(maxAgeSeconds: number): number {
  return (2 * maxAgeSeconds + 1) * 1000;
}
