import { denyEntryField } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { hashA, hashB } from "../src/deny-list/fingerprint.js";
import { fingerprintsOf } from "../src/deny-list/snapshot-bytes.js";
import { entriesOf } from "../src/deny-list/stream-entries.js";

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

/** Entry JSON as the Lua writer or a hand might store it: any key order, spacing, escapes, odd or broken values. */
function entryText(next: () => number): string {
  const value = pick(next, [
    "abc",
    "a/b",
    'q"uote',
    "é-ü",
    "x".repeat(512),
    "x".repeat(513),
    "",
    "c1-xxxxxxxxxxxxxxxxx",
  ]);
  const fields: [string, string][] = [
    ["kind", JSON.stringify(pick(next, ["jti", "client", "sub", "other"]))],
    ["value", next() < 0.2 ? JSON.stringify(value).replace("/", "\\/") : JSON.stringify(value)],
    ["expiresAt", pick(next, ["1800000000", "0", "-5", "1.5", "1e9", '"1800000000"', "9007199254740993", "01"])],
    ["minRev", pick(next, ["3", "0", "-1", "null", "2.0", "123456789012345"])],
    ["extra", pick(next, ["1", '"x"', "true", "[1]", '{"a":1}'])],
  ];
  const kept = fields.filter((_, i) => i === 0 || next() < 0.9).sort(() => next() - 0.5);
  if (next() < 0.1) kept.push(["kind", JSON.stringify(pick(next, ["jti", "sub"]))]);
  const space = next() < 0.2 ? " " : "";
  const text = `{${space}${kept.map(([key, v]) => `"${key}"${space}:${space}${v}`).join(`,${space}`)}${space}}`;
  return next() < 0.03 ? text.slice(0, -1) : text;
}

describe("a snapshot read from bytes", () => {
  it("gives each entry the fingerprint, expiry and revision that JSON.parse and parseDenyEntry give it", () => {
    const next = random(7);
    const values = Array.from({ length: 5000 }, () => Buffer.from(entryText(next)));
    const prints = fingerprintsOf(values);
    const entries = entriesOf(values);
    expect(entries.length).toBeGreaterThan(500);
    expect(prints.count).toBe(entries.length);
    entries.forEach((entry, i) => {
      const field = denyEntryField(entry);
      expect([prints.keyA[i], prints.keyB[i], prints.expiresAt[i], prints.minRev[i]]).toEqual([
        hashA(field),
        hashB(field),
        entry.expiresAt,
        entry.kind === "jti" ? 0 : entry.minRev,
      ]);
    });
  });

  it("reads views into a larger buffer, as the Redis reply parser hands them out", () => {
    const texts = ['{"kind":"jti","value":"a","expiresAt":5}', '{"kind":"sub","value":"b","minRev":2,"expiresAt":6}'];
    const joined = Buffer.from(`xx${texts.join("")}yy`);
    const first = joined.subarray(2, 2 + (texts[0] as string).length);
    const second = joined.subarray(first.byteOffset - joined.byteOffset + first.length, joined.length - 2);
    const prints = fingerprintsOf([first, second]);
    expect(prints.count).toBe(2);
    expect([prints.keyA[1], prints.minRev[1], prints.expiresAt[1]]).toEqual([hashA("sub:b"), 2, 6]);
    expect(entriesOf([first, second]).map(denyEntryField)).toEqual(["jti:a", "sub:b"]);
  });
});
