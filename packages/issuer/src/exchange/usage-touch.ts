import type { TokenRecord, TokenStore } from "../tokens/types.js";
import { withRecentIp } from "./allowed-ips.js";

/** Milliseconds between two `lastUsedAt` writes of one token from one address, from this process. */
const TOUCH_INTERVAL_MS = 60_000;
/** Token ids whose last touch is remembered; the map starts over past this. */
const TOUCH_MEMORY = 100_000;

/**
 * Records that a token was used (`lastUsedAt`, `lastUsedIp`, `recentIps`)
 * without costing the exchange: at most once a minute per token and address,
 * fire and forget, one token's writes one after another.
 *
 * @example const touch = createUsageTouch(store); touch(record, request.ip, Date.now());
 */
export function createUsageTouch(store: TokenStore): (record: TokenRecord, ip: string, nowMs: number) => void {
  const lastTouched = new Map<string, number>();
  /** Addresses each token was used from, as this process saw them (a cached record's list is stale). */
  const recent = new Map<string, string[]>();
  /** The bookkeeping write in flight per token, if any. */
  const writes = new Map<string, Promise<void>>();

  return function touch(record, ip, nowMs) {
    const key = `${record.tokenId} ${ip}`;
    const last = lastTouched.get(key);
    if (last !== undefined && nowMs - last < TOUCH_INTERVAL_MS) return;
    if (lastTouched.size >= TOUCH_MEMORY) lastTouched.clear();
    if (recent.size >= TOUCH_MEMORY) recent.clear();
    lastTouched.set(key, nowMs);
    const recentIps = withRecentIp(recent.get(record.tokenId) ?? record.recentIps, ip);
    recent.set(record.tokenId, recentIps);
    // Fire and forget: the exchange does not wait on a bookkeeping write. One token's writes
    // go one after another, so the newest address list is the one that lands last.
    const previous = writes.get(record.tokenId) ?? Promise.resolve();
    const write = previous
      .then(() => store.touch(record.tokenId, { at: Math.floor(nowMs / 1000), ip, recentIps }))
      .catch(() => {})
      .finally(() => {
        if (writes.get(record.tokenId) === write) writes.delete(record.tokenId);
      });
    writes.set(record.tokenId, write);
  };
}
