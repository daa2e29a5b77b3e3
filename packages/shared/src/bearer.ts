/**
 * What an `Authorization` header holds for a bearer-token endpoint:
 * the token, or why there is none (`absent`: no header at all; `repeated`:
 * more than one; `malformed`: another scheme or shape, an empty value too).
 */
export type BearerParse =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly reason: "absent" | "repeated" | "malformed" };

/** `Bearer`, case-insensitive, then one RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads the token of an `Authorization: Bearer <token>` header (RFC 6750
 * §2.1). Never throws: what a malformed header means is the caller's to say.
 *
 * @example
 * parseBearer("Bearer eyJhbGciOi...") // { ok: true, token: "eyJhbGciOi..." }
 * parseBearer("Basic dXNlcjpwYXNz")   // { ok: false, reason: "malformed" }
 * parseBearer(undefined)             // { ok: false, reason: "absent" }
 */
export function parseBearer(header: string | readonly string[] | undefined): BearerParse {
  if (header === undefined) return { ok: false, reason: "absent" };
  if (typeof header !== "string") return { ok: false, reason: "repeated" };
  const token = BEARER.exec(header)?.[1];
  return token ? { ok: true, token } : { ok: false, reason: "malformed" };
}
