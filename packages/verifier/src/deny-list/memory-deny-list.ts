import { type DenyEntry, denyEntryField, findDenial, mergeDenyEntry } from "@patgate/shared";
import type { DenyList } from "./deny-list.js";

/** A deny-list held in memory: fed by hand, or by the Redis follower. */
export interface MemoryDenyList extends DenyList {
  /** Adds an entry; a mark already present only ever grows (minRev, expiresAt). */
  add(entry: DenyEntry): void;
  /** Removes the entry under a field such as `jti:abc`. */
  remove(field: string): void;
  /** Replaces every entry (a fresh snapshot). */
  replace(entries: readonly DenyEntry[]): void;
  readonly size: number;
  readonly version: number;
}

/** How often, at most, expired entries are swept (seconds). */
const SWEEP_INTERVAL_SECONDS = 30;

export function createMemoryDenyList(initial: readonly DenyEntry[] = []): MemoryDenyList {
  let entries = new Map<string, DenyEntry>();
  let nextSweep = 0;
  let version = 0;

  function add(entry: DenyEntry): void {
    version += 1;
    const field = denyEntryField(entry);
    entries.set(field, mergeDenyEntry(entries.get(field), entry));
  }

  // Expired entries can match no live JWT: drop them now and then so the list stays small.
  function sweep(nowSeconds: number): void {
    if (nowSeconds < nextSweep) return;
    nextSweep = nowSeconds + SWEEP_INTERVAL_SECONDS;
    for (const [field, entry] of entries) if (entry.expiresAt <= nowSeconds) entries.delete(field);
  }

  for (const entry of initial) add(entry);

  return {
    add,
    remove: (field) => void entries.delete(field),
    replace(next) {
      version += 1;
      entries = new Map();
      for (const entry of next) add(entry);
    },
    check(claims, nowSeconds) {
      sweep(nowSeconds);
      return findDenial(claims, (field) => entries.get(field), nowSeconds);
    },
    get size() {
      return entries.size;
    },
    // Removals and sweeps leave it: they can only lift a denial, never add one.
    get version() {
      return version;
    },
  };
}
