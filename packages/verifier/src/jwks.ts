import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { VerifierError } from "./errors.js";

/** A JWKS, as `createVerifier`'s `jwks` option takes it. */
export interface Jwks {
  readonly keys: readonly JWK[];
}

/** What of a token's header picks its key: `alg` (checked already) and `kid`, of any JSON type. */
export interface KeyHeader {
  readonly alg: string;
  readonly kid?: unknown;
}

/** A plain JSON object, as jose's isObject accepts it. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/**
 * Why `value` is not a JWKS of public keys, or undefined when it is one. A
 * key with private members (`d`, `priv`) refuses the whole set, at once:
 * jose refuses such a key when it is picked; a leaked private key is worth an
 * error before any token is checked.
 */
export function jwksProblem(value: unknown): string | undefined {
  const keys = isPlainObject(value) ? value.keys : undefined;
  if (!Array.isArray(keys)) return "is not a JWKS ({ keys: [...] })";
  for (const [index, key] of keys.entries()) {
    if (!isPlainObject(key)) return `has a key (#${index}) that is not a JSON object`;
    if (key.d !== undefined || key.priv !== undefined)
      return `has a private key (#${index}${typeof key.kid === "string" ? `, kid ${key.kid}` : ""}): publish public keys only`;
  }
  return undefined;
}

/** The keys of a JWKS; throws, saying why, when it is not a JWKS of public keys. */
export function parseJwks(value: unknown): readonly JWK[] {
  const problem = jwksProblem(value);
  if (problem) throw new Error(`the JWKS ${problem}`);
  return (value as Jwks).keys;
}

/** The key type each algorithm needs, so a token cannot pick a key of another kind (algorithm confusion). */
const KEY_TYPES: Readonly<Record<string, { kty: string; crv?: string }>> = {
  EdDSA: { kty: "OKP", crv: "Ed25519" },
  ES256: { kty: "EC", crv: "P-256" },
  RS256: { kty: "RSA" },
};

/** `key_ops` absent, or unique strings including "verify" (RFC 7517 §4.3, as jose reads it). */
function allowsVerify(ops: unknown): boolean {
  if (ops === undefined) return true;
  return (
    Array.isArray(ops) &&
    ops.every((op, index) => typeof op === "string" && ops.indexOf(op) === index) &&
    ops.includes("verify")
  );
}

/** Whether a JWK may verify a token of `alg`: jose's rule for a key in a JWKS. */
function usable(jwk: JWK, alg: string): boolean {
  const type = KEY_TYPES[alg];
  if (!type || jwk.kty !== type.kty) return false;
  if (type.crv && jwk.crv !== type.crv) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  // `ext` must be a boolean when present: the string "true" makes the key unusable, as in jose.
  return (jwk.ext === undefined || typeof jwk.ext === "boolean") && allowsVerify(jwk.key_ops);
}

/** The one key a header picks, or why there is none. */
export type KeyChoice = JWK | "none" | "ambiguous";

/**
 * The key of a JWKS a token header picks, as jose picks it: a `kid` must be a
 * string (RFC 7515 §4.1.4) naming the key; without one, any usable key. More
 * than one candidate is an ambiguity, refused like no key at all.
 */
export function chooseKey(keys: readonly JWK[], header: KeyHeader): KeyChoice {
  const { kid, alg } = header;
  if (kid !== undefined && typeof kid !== "string") return "none";
  let chosen: JWK | undefined;
  for (const key of keys) {
    if ((kid !== undefined && key.kid !== kid) || !usable(key, alg)) continue;
    if (chosen) return "ambiguous";
    chosen = key;
  }
  return chosen ?? "none";
}

/** The verifier's answer when a header picks no single key. */
export function noKey(choice: "none" | "ambiguous", where: string): VerifierError {
  return new VerifierError(
    "unknown_kid",
    choice === "none"
      ? `no key in ${where} matches the token's kid and algorithm`
      : `more than one key in ${where} matches the token's kid and algorithm`,
  );
}

/** RFC 7518 §3.3: an RSA key for RS256 must be 2048 bits or more (jose refuses smaller ones too). */
const MIN_RSA_BITS = 2048;

/** A JWK's public members as a KeyObject for `node:crypto.verify`; throws on a key that cannot be used. */
function importPublicKey(jwk: JWK): KeyObject {
  // A public key can only verify: `key_ops` naming more ("sign") is a contradiction WebCrypto refuses, so jose does.
  if (jwk.key_ops?.some((op) => op !== "verify")) throw new TypeError('a public key\'s key_ops may only be ["verify"]');
  const { kty, crv, x, y, n, e } = jwk;
  const key = createPublicKey({ key: { kty, crv, x, y, n, e } as JsonWebKey, format: "jwk" });
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType === "rsa" && (bits === undefined || bits < MIN_RSA_BITS))
    throw new TypeError(`RSA keys must be at least ${MIN_RSA_BITS} bits`);
  return key;
}

/** Imports JWKs, each once (and again only when a refetch replaces it). */
export function keyImporter(): (jwk: JWK) => KeyObject {
  // By the JWK object itself: no key string to build and hash on every verification.
  // `usable` has already matched the key type to the algorithm, so one KeyObject serves every algorithm it fits.
  const imported = new WeakMap<JWK, KeyObject>();
  return (jwk) => {
    let key = imported.get(jwk);
    if (!key) {
      // A key that fails to import is not remembered: the next token tries again (and fails the same way).
      key = importPublicKey(jwk);
      imported.set(jwk, key);
    }
    return key;
  };
}
