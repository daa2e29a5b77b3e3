import { isUtf8 } from "node:buffer";
import { verify as cryptoVerify, type KeyObject } from "node:crypto";
import { VerifierError } from "./errors.js";

/**
 * A compact JWS taken apart: the decoded protected header, the signing input
 * and the still-encoded payload. Checked as jose checks it (RFC 7515), so a
 * token jose would call malformed is malformed here too.
 */
export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  /** `header.payload`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly payload: string;
  readonly signature: string;
  /**
   * `crit: ["b64"]` with `b64: false` (RFC 7797). Parsed as jose parses it, so the
   * algorithm and the signature are checked first, but a JWT never has one:
   * the check refuses it as malformed once the signature is known.
   */
  readonly unencodedPayload: boolean;
}

/** base64url; padding, which RFC 7515 leaves out, is tolerated as jose tolerates it. */
const BASE64URL = /^[A-Za-z0-9_-]*(?:={1,2})?$/;
/** What jose's compact serialization refuses in a payload segment: anything outside ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

export function malformed(reason: string, cause?: unknown): VerifierError {
  return new VerifierError("token_malformed", "the token is malformed", {
    cause: cause ?? new Error(reason),
  });
}

/** Strict base64url: no padding, no other alphabet, no impossible length (Buffer alone would skip bad characters). */
export function decodeSegment(segment: string, what: string): Buffer {
  const badLength = segment.endsWith("=") ? segment.length % 4 !== 0 : segment.length % 4 === 1;
  if (badLength || !BASE64URL.test(segment)) throw malformed(`the ${what} is not base64url`);
  return Buffer.from(segment, "base64url");
}

/** A plain JSON object, as jose's isObject accepts it. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/** The JSON object a segment encodes; malformed otherwise. */
export function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  const bytes = decodeSegment(segment, what);
  // Invalid UTF-8 is malformed, not replaced with U+FFFD.
  if (!isUtf8(bytes)) throw malformed(`the ${what} is not UTF-8`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (cause) {
    throw cause instanceof VerifierError ? cause : malformed(`the ${what} is not JSON`, cause);
  }
  if (!isPlainObject(parsed)) throw malformed(`the ${what} is not a JSON object`);
  return parsed;
}

/**
 * `crit` (RFC 7515 §4.1.11), as jose reads it: `b64` (RFC 7797) is the only
 * extension understood, present and a boolean; anything else is malformed.
 * Stricter than jose: a name listed twice is malformed too (jose only refuses
 * that when signing). Returns whether the payload is base64url-encoded.
 */
function checkCrit(header: Record<string, unknown>): boolean {
  const { crit } = header;
  if (crit === undefined) return true;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== "string" || name.length === 0) ||
    new Set(crit).size !== crit.length
  )
    throw malformed("crit must be a non-empty array of distinct names");
  for (const name of crit) if (name !== "b64") throw malformed(`extension ${String(name)} is not supported`);
  if (typeof header.b64 !== "boolean") throw malformed("b64 must be a boolean");
  return header.b64;
}

/** A protected header checked once: frozen, as every token signed by the same key shares it. */
interface CheckedHeader {
  readonly header: Readonly<Record<string, unknown>>;
  readonly encodedPayload: boolean;
}

/** Decoded headers by their encoded text, per parser: one issuer key signs every token with the same header. */
const MAX_HEADERS = 64;

/**
 * A parser of compact JWSs with its own cache of decoded headers. It splits
 * and checks a token up to the algorithm, which must be one of `algorithms`
 * (checked before any key is looked up, as jose does).
 */
export function createJwsParser(algorithms: ReadonlySet<string>): (token: string) => CompactJws {
  const headers = new Map<string, CheckedHeader>();
  function headerOf(segment: string): CheckedHeader {
    let checked = headers.get(segment);
    if (!checked) {
      const header = decodeJsonSegment(segment, "header");
      checked = { header: Object.freeze(header), encodedPayload: checkCrit(header) };
      if (headers.size >= MAX_HEADERS) headers.clear();
      headers.set(segment, checked);
    }
    return checked;
  }
  return (token) => {
    const first = token.indexOf(".");
    const second = first < 0 ? -1 : token.indexOf(".", first + 1);
    if (second < 0 || token.indexOf(".", second + 1) >= 0) throw malformed("not three segments");
    const { header, encodedPayload } = headerOf(token.slice(0, first));
    const { alg } = header;
    if (typeof alg !== "string" || alg.length === 0) throw malformed("no alg");
    if (!algorithms.has(alg)) throw new VerifierError("algorithm_not_allowed", "the token's algorithm is not accepted");
    const payload = token.slice(first + 1, second);
    // An unencoded payload must be ASCII before any key is looked up (jose's order).
    if (!encodedPayload && NON_ASCII.test(payload)) throw malformed("the payload is not ASCII");
    return {
      header,
      alg,
      signingInput: token.slice(0, second),
      payload,
      signature: token.slice(second + 1),
      unencodedPayload: !encodedPayload,
    };
  };
}

/** Digest and signature encoding of each algorithm, for `node:crypto.verify`. */
const SIGNATURE_OPTIONS: Readonly<Record<string, { digest: string | null; ieeeP1363: boolean }>> = {
  EdDSA: { digest: null, ieeeP1363: false },
  ES256: { digest: "sha256", ieeeP1363: true },
  RS256: { digest: "sha256", ieeeP1363: false },
};

/**
 * The signature check, synchronous on the event loop: `node:crypto.verify`
 * with a parsed KeyObject costs about half of WebCrypto's round trip through
 * the thread pool. `invalid_signature` when it does not verify.
 */
export function checkSignature(jws: CompactJws, key: KeyObject): void {
  const signature = decodeSegment(jws.signature, "signature");
  // The header is base64url already; a payload that is not is checked as jose does: outside ASCII it is
  // malformed at once, else the signature decides first (and the payload's decoding fails after).
  if (!BASE64URL.test(jws.payload) && NON_ASCII.test(jws.payload)) throw malformed("the payload is not ASCII");
  const options = SIGNATURE_OPTIONS[jws.alg];
  let valid = false;
  try {
    valid =
      options !== undefined &&
      cryptoVerify(
        options.digest,
        Buffer.from(jws.signingInput, "latin1"),
        options.ieeeP1363 ? { key, dsaEncoding: "ieee-p1363" } : key,
        signature,
      );
  } catch {
    valid = false;
  }
  if (!valid) throw new VerifierError("invalid_signature", "the token's signature is invalid");
}
