import type { webcrypto } from "node:crypto";
import { generateKeyPair } from "dpop";

// WebCrypto's types (the global names exist at run time in Node and browsers; the lib here has no DOM).
type CryptoKey = webcrypto.CryptoKey;
type JsonWebKey = webcrypto.JsonWebKey;
type ImportAlgorithm = webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm;

/**
 * The key pair DPoP proofs (RFC 9449) are signed with: WebCrypto keys, the
 * private one usable for `sign` (it may be non-extractable), the public one
 * extractable (it travels in every proof's `jwk` header).
 */
export interface DpopKeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** The `dpop` option: `true` for a key pair made for this client, or your own. */
export type DpopOption = true | DpopKeyPair;

/** JWK members only a private key has; the public half is the JWK without them. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth"] as const;

/**
 * A new ES256 key pair whose private key can never be exported: script that
 * reaches the client can sign with it but never read it.
 */
export async function generateDpopKey(): Promise<DpopKeyPair> {
  return generateKeyPair("ES256", { extractable: false });
}

/** The WebCrypto algorithm of a JWK, as proofs use it (ES256, Ed25519, RS256 or PS256). */
function importAlgorithm(jwk: JsonWebKey & { crv?: string }): ImportAlgorithm {
  if (jwk.kty === "EC" && jwk.crv === "P-256") return { name: "ECDSA", namedCurve: "P-256" };
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return { name: "Ed25519" };
  if (jwk.kty === "RSA") {
    return jwk.alg === "PS256" ? { name: "RSA-PSS", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
  throw new TypeError("importDpopKey: the key must be EC P-256, OKP Ed25519 or RSA (ES256, Ed25519, RS256, PS256)");
}

function parseJwk(jwk: unknown): JsonWebKey {
  let value = jwk;
  if (typeof jwk === "string") {
    try {
      value = JSON.parse(jwk);
    } catch {
      // Never echo the text: it is a private key.
      throw new TypeError("importDpopKey: the text is not a JSON Web Key");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError("importDpopKey: a private JSON Web Key (an object or its JSON text) is required");
  if (typeof (value as JsonWebKey).d !== "string")
    throw new TypeError("importDpopKey: the JWK holds no private key (no d member)");
  return value as JsonWebKey;
}

/**
 * The key pair of a private JWK, such as the file `patgate dpop keygen`
 * writes (pass the object or its JSON text, e.g. a CI secret). The private
 * key is imported non-extractable; the public key is derived from it.
 *
 * @example const dpop = await importDpopKey(await readFile("key.jwk", "utf8"));
 * @throws {TypeError} when it is not a private EC P-256, Ed25519 or RSA JWK (never echoing it).
 */
export async function importDpopKey(jwk: JsonWebKey | string): Promise<DpopKeyPair> {
  const { key_ops: _ops, ext: _ext, use: _use, ...privateJwk } = parseJwk(jwk);
  const algorithm = importAlgorithm(privateJwk);
  const publicJwk: Record<string, unknown> = { ...privateJwk };
  for (const member of PRIVATE_MEMBERS) delete publicJwk[member];
  try {
    const privateKey = await crypto.subtle.importKey("jwk", privateJwk, algorithm, false, ["sign"]);
    const publicKey = await crypto.subtle.importKey("jwk", publicJwk as JsonWebKey, algorithm, true, ["verify"]);
    return { privateKey, publicKey };
  } catch {
    throw new TypeError("importDpopKey: the JWK could not be imported (a malformed or unsupported key)");
  }
}

/** Whether `key` is a WebCrypto key of this type. */
function isKey(key: unknown, type: webcrypto.KeyType): key is CryptoKey {
  const CryptoKeyClass = (globalThis as { CryptoKey?: new () => CryptoKey }).CryptoKey;
  return CryptoKeyClass !== undefined && key instanceof CryptoKeyClass && key.type === type;
}

/** What is wrong with a `dpop` option, or undefined when it is fine. */
export function dpopOptionProblem(option: unknown): string | undefined {
  if (option === undefined || option === true) return undefined;
  if (typeof option !== "object" || option === null)
    return "dpop must be true or { privateKey, publicKey } (CryptoKeys)";
  const { privateKey, publicKey } = option as Partial<DpopKeyPair>;
  if (!isKey(privateKey, "private") || !privateKey.usages.includes("sign"))
    return "dpop.privateKey must be a private CryptoKey usable to sign (see importDpopKey for a JWK file)";
  if (!isKey(publicKey, "public") || !publicKey.extractable)
    return "dpop.publicKey must be an extractable public CryptoKey";
  return undefined;
}
