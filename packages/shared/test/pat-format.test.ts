import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertTokenPrefix,
  formatPat,
  isTokenId,
  newTokenId,
  PAT_SCANNER_PATTERN,
  parsePat,
  patScannerRegExp,
} from "../src/index.js";

const secret = randomBytes(32);

describe("formatPat / parsePat", () => {
  it("round-trips a new token with its checksum", () => {
    const tokenId = newTokenId();
    const token = formatPat("pat_", tokenId, secret);
    expect(token).toHaveLength(4 + 21 + 1 + 43 + 6);
    const parsed = parsePat(token);
    expect(parsed).toMatchObject({ ok: true, tokenId, hasChecksum: true });
    expect(parsed.ok && parsed.secret.equals(secret)).toBe(true);
  });

  it("makes 21-character base62 ids", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newTokenId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(isTokenId(id)).toBe(true);
  });

  it("honours a custom prefix", () => {
    const token = formatPat("acme_", newTokenId(), secret);
    expect(parsePat(token, "acme_").ok).toBe(true);
    expect(parsePat(token, "pat_")).toEqual({ ok: false, reason: "invalid_prefix" });
  });

  it("rejects every single-character typo through the checksum", () => {
    const token = formatPat("pat_", newTokenId(), secret);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    for (let i = 4; i < token.length; i++) {
      if (token[i] === ".") continue;
      const replacement = alphabet[(alphabet.indexOf(token[i] ?? "") + 7) % alphabet.length];
      const typo = token.slice(0, i) + replacement + token.slice(i + 1);
      expect(parsePat(typo), `typo at ${i}`).toEqual({ ok: false, reason: "invalid_format" });
    }
  });

  it("accepts @access-tokens/core tokens: standard base64 with padding, no checksum", () => {
    const tokenId = newTokenId();
    const legacy = `pat_${tokenId}.${secret.toString("base64")}`;
    const parsed = parsePat(legacy);
    expect(parsed).toMatchObject({ ok: true, tokenId, hasChecksum: false });
    expect(parsed.ok && parsed.secret.equals(secret)).toBe(true);
  });

  it("accepts unpadded base64url secrets without a checksum", () => {
    const parsed = parsePat(`pat_${newTokenId()}.${secret.toString("base64url")}`);
    expect(parsed).toMatchObject({ ok: true, hasChecksum: false });
  });

  it.each([
    ["", "invalid_prefix"],
    ["ghp_abc", "invalid_prefix"],
    ["pat_", "invalid_format"],
    ["pat_short.abc", "invalid_format"],
    [`pat_${"a".repeat(21)}`, "invalid_format"],
    [`pat_${"a".repeat(21)}.`, "invalid_format"],
    [`pat_${"a".repeat(20)}!.${"b".repeat(43)}`, "invalid_format"],
    [`pat_${"a".repeat(21)}.${"b".repeat(42)}`, "invalid_format"],
    [`pat_${"a".repeat(21)}.${"b".repeat(49)}`, "invalid_format"],
    [`pat_${"a".repeat(21)}.${"b".repeat(10_000)}`, "invalid_format"],
    [`pat_${"a".repeat(21)}.${"b".repeat(43)}\u0000`, "invalid_format"],
  ])("rejects %j as %s", (input, reason) => {
    expect(parsePat(input)).toEqual({ ok: false, reason });
  });

  it("never throws on arbitrary strings, and an accepted one yields 32 secret bytes (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = parsePat(text);
        if (result.ok) expect(result.secret).toHaveLength(32);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (tail) => {
        const result = parsePat(`pat_${tail}`);
        return typeof result.ok === "boolean";
      }),
    );
  });

  it("accepts what it formats (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const tokenId = newTokenId();
        const parsed = parsePat(formatPat("pat_", tokenId, bytes));
        return parsed.ok && parsed.tokenId === tokenId && parsed.secret.equals(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses to format bad parts and bad prefixes", () => {
    expect(() => formatPat("pat_", "short", secret)).toThrow(TypeError);
    expect(() => formatPat("pat_", newTokenId(), randomBytes(16))).toThrow(TypeError);
    expect(() => assertTokenPrefix("pat")).toThrow(TypeError);
    expect(() => assertTokenPrefix("1pat_")).toThrow(TypeError);
    expect(() => assertTokenPrefix("acme_")).not.toThrow();
  });
});

describe("secret scanner pattern", () => {
  it("finds new tokens in text and nothing else", () => {
    const a = formatPat("pat_", newTokenId(), randomBytes(32));
    const b = formatPat("pat_", newTokenId(), randomBytes(32));
    const text = `export TOKEN=${a}\nother pat_notatoken and "${b}" x${a}y`;
    const found = [...text.matchAll(patScannerRegExp())].map((m) => m[0]);
    expect(found).toEqual([a, b]);
    expect(new RegExp(PAT_SCANNER_PATTERN).test(a)).toBe(true);
  });

  it("escapes the prefix", () => {
    const token = formatPat("acme_", newTokenId(), randomBytes(32));
    expect(token.match(patScannerRegExp("acme_"))).toEqual([token]);
    expect(token.replace("acme_", "acmeX").match(patScannerRegExp("acme_"))).toBeNull();
  });
});
