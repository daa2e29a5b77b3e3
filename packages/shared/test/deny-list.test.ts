import { describe, expect, it } from "vitest";
import {
  type DenyEntry,
  denyEntryField,
  findDenial,
  notBeforeMark,
  parseDenyEntry,
  parseRevocationEvent,
} from "../src/index.js";

const now = 1_800_000_000;
const claims = { jti: "j1", client_id: "tok1", sub: "alice", iat: now - 10 };

function lookupOf(entries: DenyEntry[]) {
  const map = new Map(entries.map((entry) => [denyEntryField(entry), entry]));
  return (field: string) => map.get(field);
}

describe("findDenial", () => {
  it("denies a jti whatever its iat", () => {
    const entry: DenyEntry = { kind: "jti", value: "j1", expiresAt: now + 60 };
    expect(findDenial(claims, lookupOf([entry]), now)).toEqual(entry);
    expect(findDenial({ ...claims, jti: "j2" }, lookupOf([entry]), now)).toBeUndefined();
  });

  it.each(["client", "sub"] as const)("denies a %s mark only for JWTs issued before notBefore", (kind) => {
    const value = kind === "client" ? "tok1" : "alice";
    const entry: DenyEntry = { kind, value, notBefore: now - 5, expiresAt: now + 300 };
    expect(findDenial(claims, lookupOf([entry]), now)).toEqual(entry);
    expect(findDenial({ ...claims, iat: now - 5 }, lookupOf([entry]), now)).toBeUndefined();
    expect(findDenial({ ...claims, iat: now }, lookupOf([entry]), now)).toBeUndefined();
  });

  it("ignores expired entries", () => {
    const entry: DenyEntry = { kind: "jti", value: "j1", expiresAt: now };
    expect(findDenial(claims, lookupOf([entry]), now)).toBeUndefined();
  });

  it("marks make every JWT minted before a change fail and none minted after", () => {
    for (const changedAtMs of [now * 1000, now * 1000 + 1, now * 1000 + 999]) {
      const mark = notBeforeMark(changedAtMs);
      const entry: DenyEntry = { kind: "client", value: "tok1", notBefore: mark, expiresAt: mark + 300 };
      const mintedBefore = Math.floor((changedAtMs - 1) / 1000);
      expect(findDenial({ ...claims, iat: mintedBefore }, lookupOf([entry]), now)).toEqual(entry);
      // The issuer mints JWTs for a marked PAT with iat >= notBefore.
      expect(
        findDenial({ ...claims, iat: Math.max(Math.floor(changedAtMs / 1000), mark) }, lookupOf([entry]), now),
      ).toBeUndefined();
    }
  });
});

describe("parsing untrusted entries and events", () => {
  it.each([
    [null],
    ["jti:x"],
    [{ kind: "jti", value: "", expiresAt: 1 }],
    [{ kind: "jti", value: "x", expiresAt: -1 }],
    [{ kind: "jti", value: "x", expiresAt: "1" }],
    [{ kind: "client", value: "x", expiresAt: 1 }],
    [{ kind: "owner", value: "x", notBefore: 1, expiresAt: 1 }],
    [{ kind: "sub", value: "x".repeat(600), notBefore: 1, expiresAt: 1 }],
  ])("rejects %j", (value) => {
    expect(parseDenyEntry(value)).toBeNull();
  });

  it("keeps only the known fields of a valid entry", () => {
    expect(parseDenyEntry({ kind: "sub", value: "a", notBefore: 2, expiresAt: 3, extra: true })).toEqual({
      kind: "sub",
      value: "a",
      notBefore: 2,
      expiresAt: 3,
    });
  });

  it("parses events", () => {
    const entry = { kind: "jti", value: "a", expiresAt: 3 };
    expect(parseRevocationEvent({ type: "deny", entry })).toEqual({ type: "deny", entry });
    expect(parseRevocationEvent({ type: "token_changed", tokenId: "t" })).toEqual({
      type: "token_changed",
      tokenId: "t",
    });
    expect(parseRevocationEvent({ type: "deny", entry: {} })).toBeNull();
    expect(parseRevocationEvent({ type: "other" })).toBeNull();
    expect(parseRevocationEvent("deny")).toBeNull();
  });
});
