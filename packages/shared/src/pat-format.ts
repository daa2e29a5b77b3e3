import { timingSafeEqual } from "node:crypto";
import { randomBase62 } from "./base62.js";
import { CHECKSUM_LENGTH, patChecksum } from "./checksum.js";

/** Default PAT prefix, as `@access-tokens/core` uses. */
export const DEFAULT_TOKEN_PREFIX = "pat_";
/** Length of a token id: 21 base62 characters (~125 bits), like id62. */
export const TOKEN_ID_LENGTH = 21;
/** Bytes of randomness in a PAT secret. */
export const SECRET_BYTES = 32;
/** A 32-byte secret in unpadded base64url. */
export const SECRET_TEXT_LENGTH = 43;
/** Longest PAT text accepted, so a 10 kB "token" is rejected before any work. */
export const MAX_PAT_LENGTH = 256;

const TOKEN_ID_RE = /^[0-9A-Za-z]{21}$/;
const PREFIX_RE = /^[A-Za-z][A-Za-z0-9]{0,15}_$/;
// A 32-byte secret: 43 base64url chars, or 43 base64 chars + "=" as
// `@access-tokens/core` writes it (standard alphabet, padded).
const LEGACY_SECRET_RE = /^(?:[A-Za-z0-9_-]{43}|[A-Za-z0-9+/]{43}=?)$/;
const CHECKED_SECRET_RE = /^[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}$/;

/** Why a string is not a PAT at all, before any lookup. */
export type PatFormatFailure = "invalid_prefix" | "invalid_format";

/** A PAT split into its parts. `secret` is the raw 32 bytes that scrypt hashes. */
export interface ParsedPat {
  readonly tokenId: string;
  readonly secret: Buffer;
  /** False for tokens made by `@access-tokens/core`, which carry no checksum. */
  readonly hasChecksum: boolean;
}

export type ParsePatResult =
  | ({ readonly ok: true } & ParsedPat)
  | { readonly ok: false; readonly reason: PatFormatFailure };

/** Throws unless `prefix` is 1-16 letters or digits, starting with a letter, ending in `_`. */
export function assertTokenPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new TypeError(
      `token prefix must be a letter, up to 15 letters or digits and "_", got ${JSON.stringify(prefix)}`,
    );
  }
}

/** A new random token id: 21 base62 characters. */
export function newTokenId(): string {
  return randomBase62(TOKEN_ID_LENGTH);
}

/** True when `value` has the shape of a token id. */
export function isTokenId(value: unknown): value is string {
  return typeof value === "string" && TOKEN_ID_RE.test(value);
}

/**
 * Formats a PAT: `{prefix}{tokenId}.{secret}{checksum}` where the secret is
 * unpadded base64url and the checksum is the base62 CRC32 of everything
 * before it.
 *
 * @example formatPat("pat_", newTokenId(), randomBytes(32))
 */
export function formatPat(prefix: string, tokenId: string, secret: Uint8Array): string {
  if (!isTokenId(tokenId)) throw new TypeError("tokenId must be 21 base62 characters");
  if (secret.length !== SECRET_BYTES) throw new TypeError(`secret must be ${SECRET_BYTES} bytes`);
  const body = `${prefix}${tokenId}.${Buffer.from(secret).toString("base64url")}`;
  return body + patChecksum(body);
}

/**
 * Parses a PAT offline. New tokens must carry a valid checksum; tokens in
 * `@access-tokens/core`'s format (no checksum, base64 or base64url secret)
 * are accepted too. Never throws: any string yields a result.
 */
export function parsePat(token: string, prefix: string = DEFAULT_TOKEN_PREFIX): ParsePatResult {
  if (typeof token !== "string" || !token.startsWith(prefix)) {
    return { ok: false, reason: "invalid_prefix" };
  }
  if (token.length > MAX_PAT_LENGTH) return { ok: false, reason: "invalid_format" };
  const rest = token.slice(prefix.length);
  const dot = rest.indexOf(".");
  if (dot !== TOKEN_ID_LENGTH) return { ok: false, reason: "invalid_format" };
  const tokenId = rest.slice(0, dot);
  const secretText = rest.slice(dot + 1);
  if (!TOKEN_ID_RE.test(tokenId)) return { ok: false, reason: "invalid_format" };

  if (CHECKED_SECRET_RE.test(secretText)) {
    const body = token.slice(0, token.length - CHECKSUM_LENGTH);
    const expected = Buffer.from(patChecksum(body));
    const actual = Buffer.from(token.slice(-CHECKSUM_LENGTH));
    if (!timingSafeEqual(expected, actual)) return { ok: false, reason: "invalid_format" };
    const secret = Buffer.from(secretText.slice(0, SECRET_TEXT_LENGTH), "base64url");
    return { ok: true, tokenId, secret, hasChecksum: true };
  }
  if (LEGACY_SECRET_RE.test(secretText)) {
    const secret = Buffer.from(secretText, "base64");
    if (secret.length !== SECRET_BYTES) return { ok: false, reason: "invalid_format" };
    return { ok: true, tokenId, secret, hasChecksum: false };
  }
  return { ok: false, reason: "invalid_format" };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The pattern a secret scanner uses to find patgate PATs carrying a checksum
 * (confirm each match with {@link parsePat}). For the default prefix:
 * `(?<![A-Za-z0-9_])pat_[0-9A-Za-z]{21}\.[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}(?![A-Za-z0-9_-])`
 */
export function patScannerPattern(prefix: string = DEFAULT_TOKEN_PREFIX): string {
  return `(?<![A-Za-z0-9_])${escapeRegExp(prefix)}[0-9A-Za-z]{21}\\.[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}(?![A-Za-z0-9_-])`;
}

/** {@link patScannerPattern} as a fresh global RegExp, ready for `matchAll`. */
export function patScannerRegExp(prefix: string = DEFAULT_TOKEN_PREFIX): RegExp {
  return new RegExp(patScannerPattern(prefix), "g");
}

/** The scanner pattern for the default `pat_` prefix. */
export const PAT_SCANNER_PATTERN: string = patScannerPattern();
