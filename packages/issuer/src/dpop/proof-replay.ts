import { createDpopReplayWindow, dpopProofId, dpopReplayWindowMs, type RedisKeys, settleWithin } from "@patgate/shared";
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
  const window = createDpopReplayWindow(windowMs, capacity);
  return {
    async firstUse(jkt, jti, nowMs) {
      const first = window.firstUse(jkt, jti, nowMs);
      if (first === "full") throw new ReplayWindowFullError();
      return first;
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
      const key = keys.dpopProofSeen(dpopProofId(jkt, jti));
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

/** How long a proof is remembered (see `dpopReplayWindowMs`). */
export function replayWindowMs(maxAgeSeconds: number): number {
  return dpopReplayWindowMs(maxAgeSeconds);
}
