import { describe, expect, it } from "vitest";
import { parseBearer } from "../src/index.js";

describe("parseBearer", () => {
  it.each([
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer abc", "abc"],
    ["BEARER   abc==  ", "abc=="],
    ["Bearer a-b_c~d+e/f", "a-b_c~d+e/f"],
  ])("reads the token of %j", (header, token) => {
    expect(parseBearer(header)).toEqual({ ok: true, token });
  });

  it.each([
    [undefined, "absent"],
    [["Bearer a", "Bearer b"], "repeated"],
    ["", "malformed"],
    ["Bearer", "malformed"],
    ["Bearer ", "malformed"],
    ["Basic dXNlcjpwYXNz", "malformed"],
    ["Bearer a b", "malformed"],
    ["Bearer a=b", "malformed"],
    ["Bearer\ta", "malformed"],
    ["Bearer a\n", "malformed"],
  ] as const)("says why %j holds no token: %s", (header, reason) => {
    expect(parseBearer(header)).toEqual({ ok: false, reason });
  });
});
