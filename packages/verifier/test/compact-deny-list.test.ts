import { type DenyCheckClaims, type DenyEntry, denyEntryField, findDenial, mergeDenyEntry } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { CompactTable } from "../src/deny-list/compact-table.js";
import { createMemoryDenyList } from "../src/index.js";

const NOW = 1_800_000_000;

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function entryFrom(next: () => number, values: number): DenyEntry {
  const value = `v${Math.floor(next() * values)}${"é".repeat(Math.floor(next() * 2))}`;
  const expiresAt = NOW + Math.floor(next() * 200) - 50;
  const kind = (["jti", "client", "sub"] as const)[Math.floor(next() * 3)] ?? "jti";
  return kind === "jti" ? { kind, value, expiresAt } : { kind, value, minRev: Math.floor(next() * 10), expiresAt };
}

/** The list as it was before the compact table: a Map of merged entry objects, swept every 30 s. */
function mapDenyList() {
  const entries = new Map<string, DenyEntry>();
  let nextSweep = 0;
  return {
    entries,
    add(entry: DenyEntry) {
      const field = denyEntryField(entry);
      entries.set(field, mergeDenyEntry(entries.get(field), entry));
    },
    remove: (field: string) => entries.delete(field),
    check(claims: DenyCheckClaims, nowSeconds: number) {
      if (nowSeconds >= nextSweep) {
        nextSweep = nowSeconds + 30;
        for (const [field, entry] of entries) if (entry.expiresAt <= nowSeconds) entries.delete(field);
      }
      return findDenial(claims, (field) => entries.get(field), nowSeconds);
    },
  };
}

describe("the compact deny-list", () => {
  it("answers every check as a Map of merged entries does, through adds, removals, sweeps and growth", () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const list = createMemoryDenyList();
      const reference = mapDenyList();
      let now = NOW;
      for (let step = 0; step < 20_000; step++) {
        const roll = next();
        const entry = entryFrom(next, 3000);
        const field = denyEntryField(entry);
        if (roll < 0.7) {
          list.add(entry);
          reference.add(entry);
        } else if (roll < 0.8) {
          list.remove(field);
          reference.remove(field);
        }
        const claims = {
          jti: entry.value,
          client_id: entry.value,
          sub: entry.value,
          client_rev: Math.floor(next() * 10),
          sub_rev: Math.floor(next() * 10),
        };
        // Time only moves forward (the list sweeps expired entries as it goes).
        if (next() < 0.01) now += 1;
        expect(list.check(claims, now)).toEqual(reference.check(claims, now));
      }
      expect(list.size).toBe(reference.entries.size);
    }
  });

  it("grows and shrinks: a million adds, then a sweep of them all, and lookups stay right", () => {
    const table = new CompactTable();
    for (let i = 0; i < 200_000; i++) table.merge(`jti:${i}`, NOW + (i % 2), 0);
    expect(table.size).toBe(200_000);
    expect(table.get("jti:199999")).toEqual({ expiresAt: NOW + 1, minRev: 0 });
    expect(table.get("jti:200000")).toBeUndefined();
    table.removeExpired(NOW);
    expect(table.size).toBe(100_000);
    expect(table.get("jti:2")).toBeUndefined();
    expect(table.get("jti:3")).toEqual({ expiresAt: NOW + 1, minRev: 0 });
    table.removeExpired(NOW + 1);
    expect(table.size).toBe(0);
    table.merge("sub:x", NOW + 5, 3);
    expect(table.get("sub:x")).toEqual({ expiresAt: NOW + 5, minRev: 3 });
  });

  it("keeps a million entries in array buffers, not the heap", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const before = process.memoryUsage();
    const list = createMemoryDenyList();
    for (let i = 0; i < 1_000_000; i++) list.add({ kind: "jti", value: `${i}-${"x".repeat(30)}`, expiresAt: NOW + 60 });
    gc?.();
    const after = process.memoryUsage();
    expect(list.size).toBe(1_000_000);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThanOrEqual(50 * 2 ** 20);
    if (gc) expect(after.heapUsed - before.heapUsed).toBeLessThan(10 * 2 ** 20);
  });
});
