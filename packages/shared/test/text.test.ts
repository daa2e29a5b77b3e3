import { describe, expect, it } from "vitest";
import { isDenyValue, isScopeToken, isWellFormedText, MAX_DENY_VALUE_LENGTH } from "../src/index.js";

describe("isWellFormedText", () => {
  it.each(["", "alice", "alice@example.com", "café", "zoë-😀", "日本語", "a b"])("accepts %j", (value) => {
    expect(isWellFormedText(value)).toBe(true);
  });

  it.each([
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
    ["a reversed pair", "\ude00\ud83d"],
    ["a high surrogate at the end", "😀\ud83d"],
    ["NUL", "a\u0000"],
    ["a newline", "a\nb"],
    ["ESC", "\u001b[31m"],
    ["DEL", "a\u007f"],
    ["a C1 control", "a\u0085b"],
  ])("refuses %s", (_name, value) => {
    expect(isWellFormedText(value)).toBe(false);
  });
});

describe("isDenyValue", () => {
  it("takes 1 to MAX_DENY_VALUE_LENGTH characters of well-formed text", () => {
    expect(isDenyValue("x")).toBe(true);
    expect(isDenyValue("x".repeat(MAX_DENY_VALUE_LENGTH))).toBe(true);
    expect(isDenyValue("")).toBe(false);
    expect(isDenyValue("x".repeat(MAX_DENY_VALUE_LENGTH + 1))).toBe(false);
    expect(isDenyValue("jti-\ud800")).toBe(false);
  });
});

describe("isScopeToken", () => {
  it.each(["read", "billing:write", "repo/admin", "!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"])("accepts %j", (value) => {
    expect(isScopeToken(value)).toBe(true);
  });

  it.each(["", "a b", 'say"hi', "back\\slash", "café", "a\tb", "a\u007f", "😀"])("refuses %j", (value) => {
    expect(isScopeToken(value)).toBe(false);
  });
});
