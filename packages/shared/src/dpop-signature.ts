import { constants, createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import type { JWK } from "jose";

/**
 * The signature check of a DPoP proof with the key in its own header, done
 * synchronously with node:crypto: a proof carries a new key on every request
 * (nothing to cache), and jose's EmbeddedJWK path (a WebCrypto import and an
 * async verify per proof) cost several times more. The key must fit the
 * `alg` (RFC 7518 §3): EC P-256 for ES256, OKP Ed25519 for EdDSA and
 * Ed25519, RSA of at least 2048 bits for RS256 and PS256.
 */

function keyFits(alg: string, jwk: JWK, key: KeyObject): boolean {
  if (key.type !== "public") return false;
  if (alg === "ES256") return jwk.kty === "EC" && jwk.crv === "P-256";
  if (alg === "EdDSA" || alg === "Ed25519") return jwk.kty === "OKP" && jwk.crv === "Ed25519";
  if (alg === "RS256" || alg === "PS256")
    return jwk.kty === "RSA" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  return false;
}

/** Whether `proof` (a compact JWS) is signed with `alg` by the public key `jwk`. Never throws. */
export function proofSignatureValid(proof: string, alg: string, jwk: JWK): boolean {
  try {
    const key = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
    if (!keyFits(alg, jwk, key)) return false;
    const dot = proof.lastIndexOf(".");
    const data = Buffer.from(proof.slice(0, dot), "latin1");
    const signature = Buffer.from(proof.slice(dot + 1), "base64url");
    if (alg === "ES256") return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
    if (alg === "PS256")
      return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    return verify(alg === "RS256" ? "sha256" : null, data, key, signature);
  } catch {
    return false;
  }
}

/** The members RFC 7638 §3.2 hashes, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"],
};

/** The RFC 7638 SHA-256 thumbprint of a public JWK whose signature verified; undefined for another key type. */
export function proofKeyThumbprint(jwk: JWK): string | undefined {
  const members = jwk.kty === undefined ? undefined : THUMBPRINT_MEMBERS[jwk.kty];
  if (members === undefined) return undefined;
  const required: Record<string, unknown> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== "string") return undefined;
    required[member] = value;
  }
  return createHash("sha256").update(JSON.stringify(required)).digest("base64url");
}
