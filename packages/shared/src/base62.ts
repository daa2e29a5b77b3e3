import { randomBytes } from "node:crypto";

/** The base62 alphabet in the order `@access-tokens/core` (id62) and GitHub use. */
export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * Encodes a non-negative integer (at most 2^53 - 1) in base62, left-padded
 * with `0` to `width` characters.
 */
export function encodeBase62(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`base62 value must be a non-negative safe integer, got ${value}`);
  }
  let out = "";
  let rest = value;
  do {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, "0");
}

/**
 * A uniformly random base62 string of `length` characters. Bytes of 248 or
 * more are rejected rather than reduced mod 62, which would bias the
 * first characters of the alphabet.
 */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) {
        out += BASE62_ALPHABET[byte % 62];
        if (out.length === length) break;
      }
    }
  }
  return out;
}
