import type { TokenRecord } from "../tokens/types.js";

/** Eviction stamps kept before they are folded into one "everything before" stamp. */
const MAX_EVICTION_STAMPS = 100_000;

/**
 * When each token id and owner was last evicted, on a counter: a fill whose
 * ticket (the counter when its store read began) is older than an eviction
 * of what it covers may hold state from before the change, and is dropped.
 */
export interface EvictionClock {
  /** The counter now: a ticket. */
  now(): number;
  /** Stamps an eviction of `client:<tokenId>` or `sub:<owner>`. */
  stamp(key: string): void;
  /** Every ticket taken before now is stale. */
  reset(): void;
  /** True when something the record depends on was evicted after the ticket was taken. */
  staleSince(record: TokenRecord, ticket: number): boolean;
}

export function createEvictionClock(): EvictionClock {
  let clock = 0;
  /** Clock value of the last eviction of `client:<id>` / `sub:<owner>`. */
  const evictedAt = new Map<string, number>();
  /** Every fill with a ticket below this is dropped (a clear, or stamps folded). */
  let clearedAt = 0;
  return {
    now: () => clock,
    stamp(key) {
      clock += 1;
      if (evictedAt.size >= MAX_EVICTION_STAMPS) {
        evictedAt.clear();
        clearedAt = clock;
      }
      evictedAt.set(key, clock);
    },
    reset() {
      clock += 1;
      clearedAt = clock;
      evictedAt.clear();
    },
    staleSince(record, ticket) {
      return (
        ticket < clearedAt ||
        ticket < (evictedAt.get(`client:${record.tokenId}`) ?? 0) ||
        ticket < (evictedAt.get(`sub:${record.owner}`) ?? 0)
      );
    },
  };
}
