/**
 * The `htu` of a DPoP proof compared the way RFC 9449 §4.3 asks: after
 * RFC 3986 §6 normalisation (syntax-based and scheme-based), without query
 * and fragment. The issuer and the verifier compare with the same function.
 */

/** Characters RFC 3986 §2.3 calls unreserved: a percent-encoding of one of them is the character itself. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** §6.2.2.1 and §6.2.2.2: percent-encodings in upper case, unreserved characters decoded. */
function normalisePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * The normalised form of an http(s) URL as a DPoP `htu`: scheme and host in
 * lower case, the default port dropped, dot-segments removed, an empty path
 * as `/`, percent-encodings normalised, no query, no fragment. `undefined`
 * for anything that is not an absolute http(s) URL, or carries credentials.
 *
 * @example normaliseHtu("HTTPS://Issuer.Example:443/a/../token?x=1#f") // "https://issuer.example/token"
 */
export function normaliseHtu(raw: string): string | undefined {
  if (raw.length > 4096) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username !== "" || url.password !== "") return undefined;
  // WHATWG URL already lower-cases scheme and host, drops the default port and removes dot-segments.
  const path = normalisePercentEncoding(url.pathname || "/");
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Whether a proof's `htu` names `expected` once both are normalised.
 *
 * @example htuMatches("https://issuer.example:443/token", "https://ISSUER.example/token") // true
 */
export function htuMatches(htu: unknown, expected: string): boolean {
  if (typeof htu !== "string") return false;
  const a = normaliseHtu(htu);
  return a !== undefined && a === normaliseHtu(expected);
}
