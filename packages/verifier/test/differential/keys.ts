// Signing keys for the differential test, made once (RS256 key generation is slow), and signing by node:crypto.
import { sign as cryptoSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { JWK } from "jose";

export type Alg = "EdDSA" | "ES256" | "RS256";

export interface DiffKey {
  readonly name: string;
  readonly alg: Alg;
  readonly privateKey: KeyObject;
  /** Its public JWK, kid and alg included, as an issuer publishes it. */
  readonly publicJwk: JWK;
  /** Another key of the same type, never published: an impostor signing under this key's kid. */
  readonly impostor: KeyObject;
  readonly impostorJwk: JWK;
}

function pair(alg: Alg) {
  if (alg === "EdDSA") return generateKeyPairSync("ed25519");
  if (alg === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

function makeKey(name: string, alg: Alg): DiffKey {
  const main = pair(alg);
  const other = pair(alg);
  const publicJwk = { ...(main.publicKey.export({ format: "jwk" }) as JWK), kid: `kid-${name}`, alg, use: "sig" };
  const impostorJwk = { ...(other.publicKey.export({ format: "jwk" }) as JWK), kid: `kid-${name}`, alg, use: "sig" };
  return { name, alg, privateKey: main.privateKey, publicJwk, impostor: other.privateKey, impostorJwk };
}

/** Two keys of each elliptic type (so a kid-less token can be ambiguous) and one RSA key. */
export function makeKeys(): readonly DiffKey[] {
  return [
    makeKey("ed1", "EdDSA"),
    makeKey("ed2", "EdDSA"),
    makeKey("es1", "ES256"),
    makeKey("es2", "ES256"),
    makeKey("rs1", "RS256"),
  ];
}

/** The base64url signature of `input` by `key` with `alg` (JWS encoding: raw r||s for ES256). */
export function signInput(alg: Alg, key: KeyObject, input: string): string {
  const data = Buffer.from(input, "latin1");
  if (alg === "EdDSA") return cryptoSign(null, data, key).toString("base64url");
  if (alg === "ES256") return cryptoSign("sha256", data, { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return cryptoSign("sha256", data, key).toString("base64url");
}
