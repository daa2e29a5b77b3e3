import { describe, expect, it } from "vitest";
import {
  type DenyEntry,
  denyEntryField,
  findDenial,
  mergeDenyEntry,
  parseDenyEntry,
  parseRevocationEvent,
} from "../src/index.js";

const now = 1_800_000_000;
const claims = { jti: "j1", client_id: "tok1", sub: "alice", client_rev: 4, sub_rev: 2 };

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

  it.each([
    ["client", "tok1", "client_rev"],
    ["sub", "alice", "sub_rev"],
  ] as const)("denies a %s mark for JWTs derived from a revision below it, and only those", (kind, value, claim) => {
    const entry: DenyEntry = { kind, value, minRev: 5, expiresAt: now + 300 };
    expect(findDenial({ ...claims, [claim]: 4 }, lookupOf([entry]), now)).toEqual(entry);
    expect(findDenial({ ...claims, [claim]: 5 }, lookupOf([entry]), now)).toBeUndefined();
    expect(findDenial({ ...claims, [claim]: 6 }, lookupOf([entry]), now)).toBeUndefined();
  });

  it("counts a JWT without revision claims (minted before revisions) as revision 0: any mark denies it", () => {
    const entry: DenyEntry = { kind: "client", value: "tok1", minRev: 1, expiresAt: now + 300 };
    expect(findDenial({ jti: "j1", client_id: "tok1", sub: "alice" }, lookupOf([entry]), now)).toEqual(entry);
  });

  it("ignores expired entries", () => {
    const entry: DenyEntry = { kind: "jti", value: "j1", expiresAt: now };
    expect(findDenial(claims, lookupOf([entry]), now)).toBeUndefined();
  });

  it("does not let a mark of one kind match the other", () => {
    const entry: DenyEntry = { kind: "client", value: "alice", minRev: 99, expiresAt: now + 300 };
    expect(findDenial(claims, lookupOf([entry]), now)).toBeUndefined();
  });
});

describe("mergeDenyEntry", () => {
  it("only ever grows a mark and a lifetime, whatever order events arrive in", () => {
    const a: DenyEntry = { kind: "client", value: "t", minRev: 8, expiresAt: now + 100 };
    const b: DenyEntry = { kind: "client", value: "t", minRev: 5, expiresAt: now + 400 };
    expect(mergeDenyEntry(a, b)).toEqual({ ...a, expiresAt: now + 400 });
    expect(mergeDenyEntry(b, a)).toEqual({ ...a, expiresAt: now + 400 });
    expect(mergeDenyEntry(undefined, a)).toEqual(a);
  });

  it("keeps a jti denial for its longest lifetime", () => {
    const a: DenyEntry = { kind: "jti", value: "j", expiresAt: now + 100 };
    expect(mergeDenyEntry(a, { ...a, expiresAt: now + 50 })).toEqual(a);
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
    [{ kind: "client", value: "x", notBefore: 1, expiresAt: 1 }],
    [{ kind: "client", value: "x", minRev: -1, expiresAt: 1 }],
    [{ kind: "owner", value: "x", minRev: 1, expiresAt: 1 }],
    [{ kind: "sub", value: "x".repeat(600), minRev: 1, expiresAt: 1 }],
  ])("rejects %j", (value) => {
    expect(parseDenyEntry(value)).toBeNull();
  });

  it("keeps only the known fields of a valid entry", () => {
    expect(parseDenyEntry({ kind: "sub", value: "a", minRev: 2, expiresAt: 3, extra: true })).toEqual({
      kind: "sub",
      value: "a",
      minRev: 2,
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
