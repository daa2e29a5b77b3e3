import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/tokens/cursor.js";
import { TokenStoreError } from "../../src/tokens/errors.js";

const TOKEN_ID = "A".repeat(21);

function refusal(cursor: string): unknown {
  try {
    decodeCursor(cursor);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("list cursors", () => {
  it("round-trips a table key and an owner-index key, as opaque base64url", () => {
    for (const key of [{ tokenId: TOKEN_ID }, { tokenId: TOKEN_ID, owner: "alice@example.com" }]) {
      const cursor = encodeCursor(key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toEqual(key);
    }
  });

  it.each([
    ["not base64 JSON", "zzz"],
    ["an object", Buffer.from('{"tokenId":"x"}').toString("base64url")],
    ["an empty array", Buffer.from("[]").toString("base64url")],
    ["a token id of the wrong shape", Buffer.from('["short"]').toString("base64url")],
    ["an empty owner", Buffer.from(JSON.stringify([TOKEN_ID, ""])).toString("base64url")],
    ["three parts", Buffer.from(JSON.stringify([TOKEN_ID, "a", "b"])).toString("base64url")],
  ])("refuses %s as a validation error naming cursor", (_name, cursor) => {
    const error = refusal(cursor);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: "validation_error", field: "cursor" });
  });

  it("never throws anything but a validation error, whatever the client sends", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (cursor) => {
        const error = refusal(cursor);
        if (error !== undefined) expect(error).toMatchObject({ code: "validation_error", field: "cursor" });
      }),
    );
  });
});
