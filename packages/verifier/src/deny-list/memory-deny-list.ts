import { type DenyEntry, type DenyKind, denyEntryField, findDenial } from "@patgate/shared";
import { CompactTable, type SlotValue } from "./compact-table.js";
import type { DenyList } from "./deny-list.js";
import type { SnapshotFingerprints } from "./snapshot-bytes.js";

/** A deny-list held in memory: fed by hand, or by the Redis follower. */
export interface MemoryDenyList extends DenyList {
  /** Adds an entry; a mark already present only ever grows (minRev, expiresAt). */
  add(entry: DenyEntry): void;
  /** Adds a snapshot's entries by fingerprint (merged as `add` merges). */
  addFingerprints(snapshot: SnapshotFingerprints): void;
  /** Removes the entry under a field such as `jti:abc`. */
  remove(field: string): void;
  /** Replaces every entry (a fresh snapshot). */
  replace(entries: readonly DenyEntry[]): void;
  readonly size: number;
  readonly version: number;
}

/** How often, at most, expired entries are swept (seconds). */
const SWEEP_INTERVAL_SECONDS = 30;

/** A mark's minimum revision as stored; a jti entry has none. */
function minRevOf(entry: DenyEntry): number {
  return entry.kind === "jti" ? 0 : entry.minRev;
}

/**
 * The entry for a field found in the table, rebuilt from its kind and value
 * (the table keeps neither text): made only on a hit, which is rare.
 */
function entryOf(kind: DenyKind, value: string, slot: SlotValue): DenyEntry {
  return kind === "jti"
    ? { kind, value, expiresAt: slot.expiresAt }
    : { kind, value, minRev: slot.minRev, expiresAt: slot.expiresAt };
}

const KIND_OF_PREFIX: Readonly<Record<string, DenyKind>> = { "jti:": "jti", "client:": "client", "sub:": "sub" };

/**
 * The in-memory list over a {@link CompactTable}: no object per entry, so a
 * million entries cost array buffers, not heap the GC must mark. Merging
 * follows `mergeDenyEntry`: expiry and minimum revision only ever grow (a
 * field's kind is part of its text, so two kinds never meet in one slot).
 */
export function createMemoryDenyList(initial: readonly DenyEntry[] = []): MemoryDenyList {
  const table = new CompactTable();
  let nextSweep = 0;
  let version = 0;

  function add(entry: DenyEntry): void {
    version += 1;
    table.merge(denyEntryField(entry), entry.expiresAt, minRevOf(entry));
  }

  function lookup(field: string): DenyEntry | undefined {
    const slot = table.get(field);
    if (!slot) return undefined;
    const colon = field.indexOf(":");
    const kind = KIND_OF_PREFIX[field.slice(0, colon + 1)];
    return kind ? entryOf(kind, field.slice(colon + 1), slot) : undefined;
  }

  // Expired entries can match no live JWT: drop them now and then so the list stays small.
  function sweep(nowSeconds: number): void {
    if (nowSeconds < nextSweep) return;
    nextSweep = nowSeconds + SWEEP_INTERVAL_SECONDS;
    table.removeExpired(nowSeconds);
  }

  for (const entry of initial) add(entry);

  return {
    add,
    addFingerprints(snapshot) {
      version += 1;
      table.reserve(snapshot.count);
      for (let i = 0; i < snapshot.count; i++) {
        table.mergeFingerprint(
          snapshot.keyA[i] as number,
          snapshot.keyB[i] as number,
          snapshot.expiresAt[i] as number,
          snapshot.minRev[i] as number,
        );
      }
    },
    remove: (field) => table.remove(field),
    replace(next) {
      version += 1;
      table.clear();
      for (const entry of next) add(entry);
    },
    check(claims, nowSeconds) {
      sweep(nowSeconds);
      return findDenial(claims, lookup, nowSeconds);
    },
    get size() {
      return table.size;
    },
    // Removals and sweeps leave it: they can only lift a denial, never add one.
    get version() {
      return version;
    },
  };
}
