import { createHash } from "node:crypto";
import type { RevocationEvent } from "@patgate/shared";
import type { TokenRecord } from "../tokens/types.js";

/**
 * Verified PATs kept in memory so that re-exchanging the same PAT skips the
 * DynamoDB read and the scrypt check. Keyed by a SHA-256 of the full token,
 * never the token itself. Every revocation or change of a token evicts it.
 */
export interface PatCache {
  get(token: string, nowMs: number): TokenRecord | undefined;
  set(token: string, record: TokenRecord, nowMs: number): void;
  /** Drops whatever the event could have made stale. */
  apply(event: RevocationEvent): void;
  evictToken(tokenId: string): void;
  readonly size: number;
}

export interface PatCacheOptions {
  /** Seconds an entry is served; 0 disables the cache. Default 60. */
  readonly ttlSeconds?: number;
  /** Most entries kept; the least recently used go first. Default 10 000. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly record: TokenRecord;
  readonly expiresAtMs: number;
}

function keyOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export function createPatCache(options: PatCacheOptions = {}): PatCache {
  const ttlMs = (options.ttlSeconds ?? 60) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  const entries = new Map<string, Entry>();
  const byTokenId = new Map<string, Set<string>>();
  const byOwner = new Map<string, Set<string>>();

  function index(map: Map<string, Set<string>>, id: string, key: string): void {
    const keys = map.get(id);
    if (keys) keys.add(key);
    else map.set(id, new Set([key]));
  }

  function unindex(map: Map<string, Set<string>>, id: string, key: string): void {
    const keys = map.get(id);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) map.delete(id);
  }

  function remove(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    unindex(byTokenId, entry.record.tokenId, key);
    unindex(byOwner, entry.record.owner, key);
  }

  function removeAll(keys: Set<string> | undefined): void {
    if (keys) for (const key of [...keys]) remove(key);
  }

  return {
    get(token, nowMs) {
      if (ttlMs === 0) return undefined;
      const key = keyOf(token);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAtMs <= nowMs) {
        remove(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.record;
    },

    set(token, record, nowMs) {
      if (ttlMs === 0) return;
      const key = keyOf(token);
      remove(key);
      // Never serve past the PAT's own expiry.
      const patExpiryMs = record.expiresAt === undefined ? Number.POSITIVE_INFINITY : record.expiresAt * 1000;
      entries.set(key, { record, expiresAtMs: Math.min(nowMs + ttlMs, patExpiryMs) });
      index(byTokenId, record.tokenId, key);
      index(byOwner, record.owner, key);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
    },

    apply(event) {
      if (event.type === "token_changed") removeAll(byTokenId.get(event.tokenId));
      else if (event.entry.kind === "client") removeAll(byTokenId.get(event.entry.value));
      else if (event.entry.kind === "sub") removeAll(byOwner.get(event.entry.value));
    },

    evictToken(tokenId) {
      removeAll(byTokenId.get(tokenId));
    },

    get size() {
      return entries.size;
    },
  };
}
