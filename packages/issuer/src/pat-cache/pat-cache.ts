import { hash } from "node:crypto";
import type { RevocationEvent } from "@patgate/shared";
import type { TokenRecord } from "../tokens/types.js";
import { createEvictionClock } from "./eviction-clock.js";

/** A verified PAT as the cache serves it. */
export interface CachedPat {
  readonly record: TokenRecord;
  /** Epoch ms the record was read from the store. */
  readonly readAtMs: number;
}

/**
 * Verified PATs kept in memory so that re-exchanging the same PAT skips the
 * DynamoDB read and the scrypt check. Keyed by a SHA-256 of the full token,
 * never the token itself.
 *
 * It never holds state older than a change it has been told of:
 * - every event evicts what it covers (a token id, or an owner);
 * - a fill carries the ticket taken before its store read, and is dropped if
 *   anything it covers was evicted since (the read may predate the change);
 * - while the feed of changes is not trusted (`trusted()` false: Redis down
 *   or silent), nothing is served or kept, and what was kept is dropped.
 */
export interface PatCache {
  /** Taken before reading the store; pass it to `set`. */
  ticket(): number;
  get(token: string, nowMs: number): CachedPat | undefined;
  /** `notAfterMs`: never served past it (a secret in a rotation's grace period). */
  set(token: string, record: TokenRecord, readAtMs: number, ticket: number, notAfterMs?: number): void;
  /**
   * The record of a token by its id, for admin authentication (which has the
   * JWT, not the PAT): kept apart from the PATs themselves, under the same
   * rules (evicted by the same events, dropped while the feed is not
   * trusted, a fill dropped if an eviction came after its ticket).
   */
  getRecord(tokenId: string, nowMs: number): CachedPat | undefined;
  setRecord(record: TokenRecord, readAtMs: number, ticket: number): void;
  /** Drops whatever the event could have made stale. */
  apply(event: RevocationEvent): void;
  /** Drops everything (and every fill in flight). */
  clear(): void;
  readonly size: number;
}

export interface PatCacheOptions {
  /** Seconds an entry is served; 0 disables the cache. Default 60. */
  readonly ttlSeconds?: number;
  /** Most entries kept; the least recently used go first. Default 10 000. */
  readonly maxEntries?: number;
  /** Whether this process is hearing every change right now; default always. */
  readonly trusted?: () => boolean;
}

interface Entry extends CachedPat {
  readonly expiresAtMs: number;
}

/** The key of a record kept by token id: never a digest, so never a PAT's key. */
function recordKeyOf(tokenId: string): string {
  return `#${tokenId}`;
}

function keyOf(token: string): string {
  // One-shot `hash` (Node 20.12+): same digest as createHash, without a Hash object per exchange.
  return hash("sha256", token, "base64url");
}

/** Adds `key` to the set of cache keys under `id` (a token id, an owner). */
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

/** `trusted()`, calling `onChange` whenever its answer differs from the last one. */
function watchTrust(trusted: () => boolean, onChange: () => void): () => boolean {
  let was = true;
  return () => {
    const now = trusted();
    if (now !== was) {
      was = now;
      onChange();
    }
    return now;
  };
}

export function createPatCache(options: PatCacheOptions = {}): PatCache {
  const ttlMs = (options.ttlSeconds ?? 60) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const trusted = options.trusted ?? (() => true);
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  const entries = new Map<string, Entry>();
  const byTokenId = new Map<string, Set<string>>();
  const byOwner = new Map<string, Set<string>>();
  const clock = createEvictionClock();

  function remove(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    unindex(byTokenId, entry.record.tokenId, key);
    unindex(byOwner, entry.record.owner, key);
  }

  function evict(stamp: string, keys: Set<string> | undefined): void {
    clock.stamp(stamp);
    if (keys) for (const key of [...keys]) remove(key);
  }

  function clear(): void {
    clock.reset();
    entries.clear();
    byTokenId.clear();
    byOwner.clear();
  }

  // A change of trust either way drops everything: events may have been missed.
  const trustedNow = watchTrust(trusted, clear);

  function lookup(key: string, nowMs: number): CachedPat | undefined {
    if (ttlMs === 0 || !trustedNow()) return undefined;
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      remove(key);
      return undefined;
    }
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function keep(key: string, record: TokenRecord, readAtMs: number, ticket: number, notAfterMs: number): void {
    if (ttlMs === 0 || !trustedNow() || clock.staleSince(record, ticket)) return;
    remove(key);
    // Never serve past the PAT's own expiry.
    const patExpiryMs = record.expiresAt === undefined ? Number.POSITIVE_INFINITY : record.expiresAt * 1000;
    entries.set(key, { record, readAtMs, expiresAtMs: Math.min(readAtMs + ttlMs, patExpiryMs, notAfterMs) });
    index(byTokenId, record.tokenId, key);
    index(byOwner, record.owner, key);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      remove(oldest);
    }
  }

  return {
    ticket: () => clock.now(),

    get: (token, nowMs) => lookup(keyOf(token), nowMs),

    set(token, record, readAtMs, ticket, notAfterMs = Number.POSITIVE_INFINITY) {
      keep(keyOf(token), record, readAtMs, ticket, notAfterMs);
    },

    getRecord: (tokenId, nowMs) => lookup(recordKeyOf(tokenId), nowMs),

    setRecord(record, readAtMs, ticket) {
      keep(recordKeyOf(record.tokenId), record, readAtMs, ticket, Number.POSITIVE_INFINITY);
    },

    apply(event) {
      if (event.type === "token_changed") evict(`client:${event.tokenId}`, byTokenId.get(event.tokenId));
      else if (event.entry.kind === "client") evict(`client:${event.entry.value}`, byTokenId.get(event.entry.value));
      else if (event.entry.kind === "sub") evict(`sub:${event.entry.value}`, byOwner.get(event.entry.value));
    },

    clear,

    get size() {
      return entries.size;
    },
  };
}
