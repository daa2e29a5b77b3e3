/**
 * What patgate accepts as text in an owner, a role, a token name or a jti.
 *
 * A lone UTF-16 surrogate survives `JSON.stringify` as an escape, but Redis's
 * Lua `cjson` (the deny-list writer) refuses to decode it, DynamoDB stores it
 * mangled, and a JWT carrying it is not valid UTF-8. Control characters forge
 * log lines and terminal output. Both are refused at the edge, with one rule.
 */

// With the `u` flag, a surrogate pair is one code point, so only a lone half matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// Control characters: C0, DEL and C1.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether `value` is well-formed text: no lone UTF-16 surrogate (it encodes
 * to UTF-8 and back unchanged) and no control character (C0, DEL, C1).
 * The empty string is well-formed; length limits are the caller's.
 *
 * @example
 * isWellFormedText("alice@example.com") // true
 * isWellFormedText("caf\u00e9 \u{1F600}") // true
 * isWellFormedText("\ud800") // false: a lone surrogate
 * isWellFormedText("a\nb") // false: a control character
 */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value) && !CONTROL.test(value);
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Whether `value` is an OAuth scope token (RFC 6749 §3.3): one or more
 * printable ASCII characters other than space, `"` and `\`. Every role is
 * one, since a JWT's `scope` claim is its roles joined by spaces and a
 * verifier's `WWW-Authenticate: ... scope="..."` quotes them.
 *
 * @example
 * isScopeToken("billing:read") // true
 * isScopeToken("read write") // false: a space
 * isScopeToken('say"hi') // false: a quote
 * isScopeToken("r\u00f4le") // false: not ASCII
 */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}
