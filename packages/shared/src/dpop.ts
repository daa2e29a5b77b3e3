import { createHash } from "node:crypto";
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from "jose";
import { htuMatches } from "./dpop-htu.js";
import { proofKeyThumbprint, proofSignatureValid } from "./dpop-signature.js";

/**
 * DPoP (RFC 9449) proof rules shared by the issuer (`POST /token`) and the
 * verifier (resource requests): the checks of §4.3 that need no state. The
 * replay check of `jti` and the nonce are the caller's: they need a store.
 */

/**
 * The proof algorithms patgate accepts and advertises as
 * `dpop_signing_alg_values_supported`: asymmetric only (never `none` nor
 * HMAC), with `Ed25519` the fully-specified name of EdDSA over Ed25519 (RFC 9864).
 */
export const DPOP_SIGNING_ALGORITHMS = ["ES256", "EdDSA", "Ed25519", "RS256", "PS256"] as const;
export type DpopSigningAlgorithm = (typeof DPOP_SIGNING_ALGORITHMS)[number];

/** The `typ` of a DPoP proof (RFC 9449 §4.2). */
export const DPOP_PROOF_TYP = "dpop+jwt";

/**
 * Longest proof read, characters. An RSA-4096 `jwk` with its signature is
 * about 2 kB; anything much longer is refused before any parsing or crypto.
 */
export const MAX_DPOP_PROOF_LENGTH = 4096;
/** Longest header `jwk`, as JSON characters (an RSA-4096 public key is about 750). */
export const MAX_DPOP_JWK_LENGTH = 1536;
/** Longest `jti` kept for the replay check (RFC 9449 suggests 96 random bits; 256 characters is ample). */
export const MAX_DPOP_JTI_LENGTH = 256;
/** Longest `nonce` claim read. */
export const MAX_DPOP_NONCE_LENGTH = 256;

/** JWK members that only a private (or symmetric) key has: a proof's `jwk` must carry none (§4.3 step 7). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** What the request the proof must be for looks like. */
export interface DpopExpectation {
  /** The request's method, upper case: `htm`. */
  readonly method: string;
  /** The request's URL (or its public URL behind a proxy): `htu`, compared after normalisation. */
  readonly url: string;
  /** Current time, epoch seconds (injected, never read from the system here). */
  readonly nowSeconds: number;
  /** Largest distance of `iat` from now, either way, seconds. */
  readonly maxAgeSeconds: number;
  /** At a resource server: the access token the proof must hash into `ath`. */
  readonly accessToken?: string;
}

/** A proof that passed every stateless check. */
export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: `cnf.jkt`. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** The server nonce the proof carries, if any: the caller checks it. */
  readonly nonce?: string;
  /** The proof's public key, as sent. */
  readonly jwk: JWK;
}

export type DpopProofCheck =
  | { readonly ok: true; readonly proof: DpopProof }
  /** `description` says which rule failed, never echoing the client's input. */
  | { readonly ok: false; readonly description: string };

const refused = (description: string): DpopProofCheck => ({ ok: false, description });

/** The header checks that cost no crypto: shape, `typ`, `alg`, a bounded public `jwk`. */
function checkHeader(proof: string): { description: string } | { jwk: JWK; alg: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return { description: "the DPoP proof is not a JWS" };
  }
  if (header.typ !== DPOP_PROOF_TYP) return { description: `the DPoP proof's typ must be ${DPOP_PROOF_TYP}` };
  // No extension is understood, so none may be critical (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return { description: "the DPoP proof's header names a critical extension" };
  if (typeof header.alg !== "string" || !(DPOP_SIGNING_ALGORITHMS as readonly string[]).includes(header.alg))
    return { description: `the DPoP proof's alg must be one of ${DPOP_SIGNING_ALGORITHMS.join(", ")}` };
  const jwk = header.jwk;
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))
    return { description: "the DPoP proof's header must carry its public key as jwk" };
  if (JSON.stringify(jwk).length > MAX_DPOP_JWK_LENGTH) return { description: "the DPoP proof's jwk is too large" };
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk))
    return { description: "the DPoP proof's jwk must be a public key, without private members" };
  return { jwk, alg: header.alg };
}

/** base64url(SHA-256(token)): the `ath` of a proof sent with an access token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken).digest("base64url");
}

/** The proof's claims as an object, or why not; an `exp` or `nbf` it carries must hold now (as for any JWT). */
function payloadOf(proof: string, nowSeconds: number): Record<string, unknown> | string {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(proof.split(".")[1] as string, "base64url").toString("utf8"));
  } catch {
    return "the DPoP proof's claims are not JSON";
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    return "the DPoP proof's claims are not a JSON object";
  const { exp, nbf } = payload as { exp?: unknown; nbf?: unknown };
  if (exp !== undefined && (typeof exp !== "number" || exp <= nowSeconds)) return "the DPoP proof has expired";
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds)) return "the DPoP proof is not valid yet";
  return payload as Record<string, unknown>;
}

/** The claim checks of §4.3 steps 9-12 on a proof whose signature verified. */
function checkClaims(payload: Record<string, unknown>, expect: DpopExpectation): string | undefined {
  const { jti, htm, htu, iat, nonce, ath } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_DPOP_JTI_LENGTH)
    return "the DPoP proof needs a jti of 1 to 256 characters";
  if (htm !== expect.method) return "the DPoP proof's htm does not match the request's method";
  if (!htuMatches(htu, expect.url)) return "the DPoP proof's htu does not match the request's URL";
  if (typeof iat !== "number" || !Number.isFinite(iat)) return "the DPoP proof needs a numeric iat";
  if (Math.abs(iat - expect.nowSeconds) > expect.maxAgeSeconds)
    return "the DPoP proof's iat is outside the accepted window";
  if (nonce !== undefined && (typeof nonce !== "string" || nonce.length > MAX_DPOP_NONCE_LENGTH))
    return "the DPoP proof's nonce is malformed";
  if (expect.accessToken !== undefined && ath !== accessTokenHash(expect.accessToken))
    return "the DPoP proof's ath does not match the access token";
  return undefined;
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) except the replay of its `jti` and
 * its nonce: size, `typ`, `alg` from {@link DPOP_SIGNING_ALGORITHMS}, a
 * public `jwk` of bounded size, the signature by that key (node:crypto), `htm`,
 * `htu`, `iat` within the window either way, and `ath` when an access token
 * is given. Never throws: a bad proof is a value.
 *
 * @example await verifyDpopProof(proof, { method: "POST", url: "https://issuer.example/token", nowSeconds, maxAgeSeconds: 60 })
 */
export async function verifyDpopProof(proof: string, expect: DpopExpectation): Promise<DpopProofCheck> {
  if (proof.length > MAX_DPOP_PROOF_LENGTH) return refused("the DPoP proof is too large");
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof))
    return refused("the DPoP proof is not a compact JWS");
  const header = checkHeader(proof);
  if ("description" in header) return refused(header.description);
  if (!proofSignatureValid(proof, header.alg, header.jwk))
    return refused("the DPoP proof's signature does not verify with its jwk");
  const payload = payloadOf(proof, expect.nowSeconds);
  if (typeof payload === "string") return refused(payload);
  const problem = checkClaims(payload, expect);
  if (problem !== undefined) return refused(problem);
  const jkt = proofKeyThumbprint(header.jwk);
  if (jkt === undefined) return refused("the DPoP proof's jwk has no thumbprint");
  const { jti, iat, nonce } = payload as { jti: string; iat: number; nonce?: string };
  return { ok: true, proof: { jkt, jti, iat, ...(nonce === undefined ? {} : { nonce }), jwk: header.jwk } };
}

/**
 * Whether `value` looks like an RFC 7638 SHA-256 thumbprint: 43 base64url
 * characters (256 bits without padding).
 */
export function isJwkThumbprint(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK (for `--dpop-key`), or
 * undefined when it is not one: a private key, or not a key jose knows.
 */
export async function publicJwkThumbprint(jwk: unknown): Promise<string | undefined> {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return undefined;
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) return undefined;
  try {
    return await calculateJwkThumbprint(jwk as JWK, "sha256");
  } catch {
    return undefined;
  }
}
