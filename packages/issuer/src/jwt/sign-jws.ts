import { createPrivateKey, type JsonWebKey, type KeyObject, sign } from "node:crypto";
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from "@patgate/shared";
import type { JWK } from "jose";

/** A private signing key, parsed once, that signs on the event loop. */
export interface JwsKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly key: KeyObject;
}

/** The smallest RSA modulus accepted for RS256, as jose and RFC 7518 §3.3 require. */
const MIN_RSA_BITS = 2048;

/**
 * Parses a private JWK into a {@link JwsKey}, checking that the key fits its
 * `alg` (Ed25519 for EdDSA, P-256 for ES256, RSA of 2048 bits or more for
 * RS256), so a wrong key fails when the keys are loaded, not at the first
 * exchange.
 *
 * @example importJwsKey({ kty: "OKP", crv: "Ed25519", x, d, kid: "k1", alg: "EdDSA" })
 */
export function importJwsKey(jwk: JWK & { readonly kid: string; readonly alg: string }): JwsKey {
  const alg = jwk.alg;
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg))
    throw new Error(`signing key ${jwk.kid}: alg must be one of ${SIGNING_ALGORITHMS.join(", ")}, got ${alg}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
  } catch (error) {
    throw new Error(`signing key ${jwk.kid} is not a usable private JWK: ${(error as Error).message}`);
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    (alg === "EdDSA" && type === "ed25519") ||
    (alg === "ES256" && type === "ec" && details.namedCurve === "prime256v1") ||
    (alg === "RS256" && type === "rsa" && (details.modulusLength ?? 0) >= MIN_RSA_BITS);
  if (!fits) throw new Error(`signing key ${jwk.kid} does not fit alg ${alg} (key type ${type})`);
  return { kid: jwk.kid, alg: alg as SigningAlgorithm, key };
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/**
 * Signs a JWS in compact serialisation (RFC 7515 §7.1) with `node:crypto`.
 *
 * Why not jose's `SignJWT`: jose signs through WebCrypto, whose jobs run on
 * libuv's thread pool, the same four threads scrypt runs on. A flood of
 * forged PATs then queues every signature behind scrypt, and warm exchanges
 * that need no scrypt at all wait seconds. `crypto.sign` with a parsed
 * `KeyObject` runs on the event loop in tens of microseconds. The output is
 * what jose produces for the same header and payload: JSON in insertion
 * order, base64url without padding, ES256 signatures as R‖S (IEEE P1363, as
 * RFC 7518 §3.4 requires) rather than DER.
 *
 * @example signJws(key, { alg: key.alg, kid: key.kid, typ: "at+jwt" }, { sub: "alice" })
 */
export function signJws(
  key: JwsKey,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const data = Buffer.from(input, "ascii");
  let signature: Buffer;
  switch (key.alg) {
    case "EdDSA":
      signature = sign(null, data, key.key);
      break;
    case "ES256":
      signature = sign("sha256", data, { key: key.key, dsaEncoding: "ieee-p1363" });
      break;
    case "RS256":
      signature = sign("sha256", data, key.key);
      break;
  }
  return `${input}.${signature.toString("base64url")}`;
}
