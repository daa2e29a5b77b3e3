import { describe, expect, it } from "vitest";
import { looksLikeJwt } from "../src/index.js";

describe("looksLikeJwt", () => {
  it.each(["eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln", "a.b.c", "a-_.b_-.c-_"])(
    "%j has the shape of a JWT",
    (token) => {
      expect(looksLikeJwt(token)).toBe(true);
    },
  );

  it.each(["pat_3kqXb0cJ2Qe7T1mYw9HfL.Zm9v", "a.b.", "a..c", ".b.c", "a.b.c.d", "a.b+/.c", "a.b.c\n", ""])(
    "%j does not",
    (token) => {
      expect(looksLikeJwt(token)).toBe(false);
    },
  );
});
